export { INFERENCE_ERRORS, InferenceError, isInferenceError, type InferenceErrorCode } from './errors.js';
export {
  parseProviders,
  providerConfig,
  SUPPORTED_PROVIDERS,
  type ProviderAttempt,
  type ProviderConfig,
  type ProviderSettings,
  type SupportedProvider,
} from './providers.js';
export { InferenceSession, type SessionOptions, type TensorSpec } from './session.js';
export {
  elementCount,
  float32,
  fromOrtTensor,
  toOrtTensor,
  zerosLike,
  type TensorData,
  type TensorDType,
  type TypedData,
} from './tensor.js';
export { ortBackends, ortVersion, OrtTensorCtor, type OrtFeeds, type OrtTensor } from './ort.js';
