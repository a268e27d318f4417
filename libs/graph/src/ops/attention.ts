/**
 * Attention core softmax(Q·Kᵀ)·V on per-head tensors, with a closed-form backward.
 *
 * The generic softmax rule needs Σ(dP ⊙ P) over the [B,H,T,S] score tensor. Since O = P·V, that row sum equals
 * Σ(dO ⊙ O) over [B,H,T,dh] (the FlashAttention identity), which is S/dh times less memory traffic. For T = S = 196
 * and dh = 32, that saves two passes over the largest tensor in the block.
 */
import { GraphError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { add, mul, sub } from './elementwise.js';
import { matmul, matmulTransA } from './linalg.js';
import { softmax } from './nn.js';
import { reduceSum } from './reduce.js';
import { transposeLast2 } from './shape.js';

/**
 * q [..., T, d], kT [..., d, S] (keys already transposed), v [..., S, dv] → [..., T, dv]. Scale q beforehand.
 * `mask` (optional, constant, broadcast to [..., T, S]) is added to the scores before the softmax: −∞-like entries
 * keep a query from attending to a key. It takes no gradient, so the backward is unchanged.
 */
export function attention(q: Tensor, kT: Tensor, v: Tensor, mask?: Tensor): Tensor {
  if (q.rank < 3 || kT.rank !== q.rank || v.rank !== q.rank || kT.shape[kT.rank - 1] !== v.shape[v.rank - 2]) {
    throw new GraphError(
      'LW_GRAPH_SHAPE_MISMATCH',
      `attention: q ${q.toString()}, kT ${kT.toString()}, v ${v.toString()}`,
      {
        op: 'attention',
      },
    );
  }
  const scores = matmul(q, kT);
  const p = softmax(mask ? add(scores, mask) : scores, -1);
  const o = matmul(p, v);
  q.graph.customGradient(o, [q, kT, v], (dO) => {
    const dP = matmul(dO, transposeLast2(v));
    const rowDot = reduceSum(mul(dO, o), [-1], { keepDims: true });
    const dS = mul(p, sub(dP, rowDot));
    return [matmul(dS, transposeLast2(kT)), matmulTransA(q, dS), matmulTransA(p, dO)];
  });
  return o;
}
