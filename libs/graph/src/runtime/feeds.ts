/** Validates user batches against graph inputs and wraps them as ORT tensors without copying. */
import { GraphError } from '../errors.js';
import type { Tensor, TensorData } from '../tensor.js';
import { dtypeOfData } from '../tensor.js';
import { ortTensor, type OrtTensor } from './ort.js';

export type Batch = Readonly<Record<string, TensorData>>;

export function wrapBatch(batch: Batch, inputs: readonly Tensor[], into: Record<string, OrtTensor>): void {
  for (const t of inputs) {
    const data = batch[t.name];
    if (data === undefined)
      throw new GraphError('LW_GRAPH_FEED_MISMATCH', `batch is missing input '${t.name}'`, { input: t.name });
    if (dtypeOfData(data) !== t.dtype || data.length !== t.size) {
      throw new GraphError(
        'LW_GRAPH_FEED_MISMATCH',
        `input '${t.name}' needs ${t.dtype}×${t.size}, got ${dtypeOfData(data)}×${data.length}`,
        {
          input: t.name,
          expected: { dtype: t.dtype, size: t.size },
          got: { dtype: dtypeOfData(data), size: data.length },
        },
      );
    }
    into[t.name] = ortTensor(t.dtype, data, t.shape);
  }
}

export function rejectUnknown(batch: Batch, known: ReadonlySet<string>): void {
  for (const k of Object.keys(batch)) {
    if (!known.has(k))
      throw new GraphError('LW_GRAPH_FEED_MISMATCH', `batch has unknown input '${k}'`, { input: k, known: [...known] });
  }
}
