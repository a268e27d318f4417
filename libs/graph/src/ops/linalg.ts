/** Matrix products. `matmul` is batched (rank ≥ 2, batch dims broadcast) so attention stays in 3-D/4-D tensors. */
import { GraphError } from '../errors.js';
import { attr, type Tensor } from '../tensor.js';
import { add } from './elementwise.js';
import { transposeLast2 } from './shape.js';
import { broadcastShapes, requireFloat, requireRank, sameDtype } from './util.js';

export function matmul(a: Tensor, b: Tensor): Tensor {
  requireFloat('MatMul', a);
  sameDtype('MatMul', a, b);
  requireRank('MatMul', a, 2);
  requireRank('MatMul', b, 2);
  const m = a.shape[a.rank - 2]!;
  const k = a.shape[a.rank - 1]!;
  const k2 = b.shape[b.rank - 2]!;
  const n = b.shape[b.rank - 1]!;
  if (k !== k2) {
    throw new GraphError('LW_GRAPH_SHAPE_MISMATCH', `MatMul: inner dims differ, ${a.toString()} @ ${b.toString()}`, {
      op: 'MatMul',
      a: a.shape,
      b: b.shape,
    });
  }
  const batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  return a.graph.add1('MatMul', [a, b], [...batch, m, n], a.dtype);
}

/**
 * 2-D Gemm with transposes folded in (transA/transB): backward uses it for weight gradients (Xᵀ·dY) so no
 * Transpose is materialised. Not differentiable (only autodiff emits it).
 */
export function gemm(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean; alpha?: number } = {}): Tensor {
  sameDtype('Gemm', a, b);
  if (a.rank !== 2 || b.rank !== 2)
    throw new GraphError('LW_GRAPH_SHAPE_MISMATCH', `Gemm: needs 2-D operands`, { a: a.shape, b: b.shape });
  const [m, k] = opts.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [k2, n] = opts.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (k !== k2)
    throw new GraphError('LW_GRAPH_SHAPE_MISMATCH', `Gemm: inner dims differ`, { a: a.shape, b: b.shape, ...opts });
  const attrs = {
    transA: attr.int(opts.transA ? 1 : 0),
    transB: attr.int(opts.transB ? 1 : 0),
    alpha: attr.float(opts.alpha ?? 1),
  };
  return a.graph.add1('Gemm', [a, b], [m, n], a.dtype, attrs);
}

/** x·W (+ b): the 1×1 projection / dense layer. W is [in, out]. */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const y = matmul(x, w);
  return b ? add(y, b) : y;
}

/**
 * aᵀ·b over the last two axes, for backward passes. ORT's FusedMatMul with transA on a large A is slow (measured
 * on attention's dV = Pᵀ·dO: 19 ms vs 12 ms), so when A is the larger operand compute (bᵀ·a)ᵀ instead: the
 * transposes then touch only the smaller tensors.
 */
export function matmulTransA(a: Tensor, b: Tensor): Tensor {
  return a.size > b.size ? transposeLast2(matmul(transposeLast2(b), a)) : matmul(transposeLast2(a), b);
}
