/**
 * The one catalogue of coded errors for @linewatch/graph. Callers (the trainer, the ADTR model) branch on `code`,
 * never on message text, so messages can be improved freely while codes stay stable.
 */
export const GRAPH_ERROR_CODES = {
  LW_GRAPH_SHAPE_MISMATCH: 'Tensor shapes are incompatible for this op',
  LW_GRAPH_DTYPE_MISMATCH: 'Tensor dtypes are incompatible for this op',
  LW_GRAPH_BAD_ARGUMENT: 'An op or API argument is out of range or malformed',
  LW_GRAPH_FOREIGN_TENSOR: 'A tensor from another graph was used',
  LW_GRAPH_DUPLICATE_NAME: 'A graph name (input, parameter, output) is already taken',
  LW_GRAPH_UNKNOWN_NAME: 'No input, parameter or output has this name',
  LW_GRAPH_NO_GRADIENT: 'An op on the path from a parameter to the loss has no gradient rule',
  LW_GRAPH_LOSS_NOT_SCALAR: 'The loss handed to grad() must be a scalar',
  LW_GRAPH_EP_UNAVAILABLE: 'A requested onnxruntime execution provider is not available on this machine',
  LW_GRAPH_SESSION_FAILED: 'onnxruntime could not create or run a session',
  LW_GRAPH_FEED_MISMATCH: 'A batch is missing an input or has the wrong size or dtype',
  LW_GRAPH_CHECKPOINT_CORRUPT: 'A checkpoint is truncated, malformed or fails its checksum',
  LW_GRAPH_CHECKPOINT_MISMATCH: 'A checkpoint does not fit this trainer (names, shapes or dtypes differ)',
} as const;

export type GraphErrorCode = keyof typeof GRAPH_ERROR_CODES;

export class GraphError extends Error {
  override readonly name = 'GraphError';
  constructor(
    readonly code: GraphErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(`${code}: ${message}`);
  }
}

export function isGraphError(e: unknown, code?: GraphErrorCode): e is GraphError {
  return e instanceof GraphError && (code === undefined || e.code === code);
}
