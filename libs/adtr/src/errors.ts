/** The adtr lib's error catalogue. */
export const ADTR_ERRORS = {
  LW_ADTR_BACKBONE_FORMAT: 'The backbone files are not a Keras/TF.js layers model this importer understands.',
  LW_ADTR_BACKBONE_LAYER: 'The backbone uses a layer type or setting the importer does not support.',
  LW_ADTR_BACKBONE_WEIGHTS: 'Backbone weights are missing, mis-sized or use an unsupported encoding.',
  LW_ADTR_BACKBONE_TAP: 'A requested feature tap does not exist in the backbone.',
  LW_ADTR_BACKBONE_NOT_FOUND: 'The backbone files could not be found or read.',
  LW_ADTR_BACKBONE_MANIFEST: 'A user ONNX backbone manifest (backbone.json) is not valid JSON or breaks its schema.',
  LW_ADTR_BACKBONE_ONNX: 'A user backbone file is not a usable ONNX model (garbage, truncated, no graph, external data, wrong digest, does not run).',
  LW_ADTR_BACKBONE_OPSET: 'A user ONNX backbone uses an opset the merged graph cannot share (needs ai.onnx 13 or newer).',
  LW_ADTR_BACKBONE_INPUT: 'A user ONNX backbone input does not match its manifest (name, element type, channels or size).',
  LW_ADTR_CONFIG: 'A model configuration value is out of range or inconsistent.',
} as const;

export type AdtrErrorCode = keyof typeof ADTR_ERRORS;

export class AdtrError extends Error {
  readonly code: AdtrErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: AdtrErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(`${code}: ${message}`, options);
    this.name = 'AdtrError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

export function isAdtrError(err: unknown, code?: AdtrErrorCode): err is AdtrError {
  return err instanceof AdtrError && (code === undefined || err.code === code);
}
