export { ADTR_ERRORS, AdtrError, isAdtrError, type AdtrErrorCode } from './errors.js';
export { tapsToGrid } from './model/grid.js';
export {
  checkModelConfig,
  DEFAULT_TAPS,
  presetByName,
  PRESETS,
  type LossSettings,
  type ModelConfig,
  type Preset,
  type Schedule,
} from './model/config.js';
export { imgPerImage, lossImg, lossMixed, lossNorm, lossPx, phi, pxPerImage, residual } from './model/losses.js';
export {
  FEATURE_MEAN,
  FEATURE_STD,
  gridToTokens,
  isDecoderParam,
  reconstruct,
  type Reconstruction,
} from './model/reconstruct.js';
export { imageScore, tokenMap, upsampleMap } from './model/scoring.js';
export {
  buildFeatureGraph,
  buildInferenceGraph,
  buildTrainingGraph,
  featureChannels,
  INPUT_NAME,
  MAP_OUTPUT,
  SCORE_OUTPUT,
  type FeatureGraph,
  type InferenceGraph,
  type LossKind,
  type TrainingGraph,
} from './model/graphs.js';
export { fit, pxWeights, type FitOptions, type FitResult, type StepProgress, type TrainSample } from './train/fit.js';
export { featureStats, type FeatureStats } from './train/stats.js';
export { TokenMapPredictor, type PredictOptions } from './train/predict.js';
export { KnnScorer } from './knn.js';
export { checkOnnxConfig, onnxModelConfig } from './onnx/config.js';
export { OnnxFeatureExtractor, onnxInferenceModel } from './onnx/deploy.js';
export {
  buildGridGraph,
  buildHeadGraph,
  tapInputName,
  type GridGraph,
  type HeadGraph,
  type TapShape,
} from './model/head-graphs.js';
