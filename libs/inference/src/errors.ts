/** The inference lib's error catalogue: every failure leaving this package carries one of these codes. */
export const INFERENCE_ERRORS = {
  LW_INFER_PROVIDER_UNKNOWN: 'An execution provider name is not one this build knows.',
  LW_INFER_PROVIDER_UNAVAILABLE: 'None of the requested execution providers could open the model.',
  LW_INFER_MODEL_INVALID: 'The model bytes or file could not be loaded as an ONNX model.',
  LW_INFER_BAD_INPUT: 'A feed is missing, unexpected, or has the wrong type or shape for the model.',
  LW_INFER_RUN_FAILED: 'onnxruntime failed while running the model.',
  LW_INFER_SESSION_CLOSED: 'The session was released and cannot run any more.',
} as const;

export type InferenceErrorCode = keyof typeof INFERENCE_ERRORS;

export class InferenceError extends Error {
  readonly code: InferenceErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: InferenceErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'InferenceError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

export function isInferenceError(err: unknown, code?: InferenceErrorCode): err is InferenceError {
  return err instanceof InferenceError && (code === undefined || err.code === code);
}
