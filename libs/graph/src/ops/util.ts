/** Shared helpers for op builders: broadcasting, axis normalisation, lifting JS numbers to scalar constants. */
import { GraphError } from '../errors.js';
import type { Graph } from '../builder.js';
import type { DType, Shape } from '../tensor.js';
import { Tensor, isFloat } from '../tensor.js';

export type TensorLike = Tensor | number;

/** NumPy/ONNX multidirectional broadcasting; throws a coded error naming the op on mismatch. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new GraphError(
        'LW_GRAPH_SHAPE_MISMATCH',
        `${op}: cannot broadcast [${a.join(',')}] with [${b.join(',')}]`,
        { op, a, b },
      );
    }
    out.push(Math.max(da, db));
  }
  return out;
}

export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new GraphError('LW_GRAPH_BAD_ARGUMENT', `${op}: axis ${axis} out of range for rank ${rank}`, {
      op,
      axis,
      rank,
    });
  }
  return a;
}

export function normAxes(op: string, axes: readonly number[] | number | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = [...new Set(list.map((a) => normAxis(op, a, rank)))].sort((x, y) => x - y);
  return out;
}

/** Find the graph from whichever operand is a Tensor and lift numbers to scalar constants of the tensor's dtype. */
export function lift2(op: string, a: TensorLike, b: TensorLike): [Graph, Tensor, Tensor] {
  const ref = a instanceof Tensor ? a : b instanceof Tensor ? b : null;
  if (!ref) throw new GraphError('LW_GRAPH_BAD_ARGUMENT', `${op}: at least one operand must be a tensor`, { op });
  const g = ref.graph;
  const ta = a instanceof Tensor ? a : g.scalar(a, ref.dtype);
  const tb = b instanceof Tensor ? b : g.scalar(b, ref.dtype);
  sameDtype(op, ta, tb);
  return [g, ta, tb];
}

export function sameDtype(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    throw new GraphError('LW_GRAPH_DTYPE_MISMATCH', `${op}: ${a.toString()} and ${b.toString()} differ in dtype`, {
      op,
    });
  }
}

export function requireFloat(op: string, t: Tensor): void {
  if (!isFloat(t.dtype))
    throw new GraphError('LW_GRAPH_DTYPE_MISMATCH', `${op}: needs a float tensor, got ${t.toString()}`, { op });
}

export function requireRank(op: string, t: Tensor, min: number): void {
  if (t.rank < min)
    throw new GraphError('LW_GRAPH_SHAPE_MISMATCH', `${op}: needs rank ≥ ${min}, got ${t.toString()}`, { op });
}

export function keptShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

export type { DType };
