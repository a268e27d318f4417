/** The backbones lib's error catalogue. */
export const BACKBONE_ERRORS = {
  LW_BACKBONE_FORMAT: 'The backbone files are not a Keras/TF.js layers model this importer understands.',
  LW_BACKBONE_LAYER: 'The backbone uses a layer type or setting the importer does not support.',
  LW_BACKBONE_WEIGHTS: 'Backbone weights are missing, mis-sized or use an unsupported encoding.',
  LW_BACKBONE_TAP: 'A requested feature tap does not exist in the backbone.',
  LW_BACKBONE_NOT_FOUND: 'The backbone files could not be found or read.',
  LW_BACKBONE_MANIFEST: 'A user ONNX backbone manifest (backbone.json) is not valid JSON or breaks its schema.',
  LW_BACKBONE_ONNX:
    'A user backbone file is not a usable ONNX model (garbage, truncated, no graph, external data, wrong digest, does not run).',
  LW_BACKBONE_OPSET: 'A user ONNX backbone uses an opset the merged graph cannot share (needs ai.onnx 13 or newer).',
  LW_BACKBONE_INPUT: 'A user ONNX backbone input does not match its manifest (name, element type, channels or size).',
  LW_BACKBONE_CONFIG:
    'A backbone is asked for something it cannot do: an input size too small for its stages, an image of the wrong shape, or a merge whose names collide.',
} as const;

export type BackboneErrorCode = keyof typeof BACKBONE_ERRORS;

export class BackboneError extends Error {
  readonly code: BackboneErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: BackboneErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(`${code}: ${message}`, options);
    this.name = 'BackboneError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

export function isBackboneError(err: unknown, code?: BackboneErrorCode): err is BackboneError {
  return err instanceof BackboneError && (code === undefined || err.code === code);
}
