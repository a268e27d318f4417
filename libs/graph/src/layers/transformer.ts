/**
 * Transformer building blocks on top of the op API: dense layers, multi-head attention, post-norm encoder and
 * decoder blocks. Generic (no anomaly specifics); the layouts are chosen for speed on ORT CPU: projections are
 * batched MatMuls on [B, T, D], heads are a reshape + one Transpose, Kᵀ is produced directly by that Transpose,
 * and the 1/√d scale is applied to Q ([B,T,D]) rather than to the larger score tensor.
 */
import type { Graph } from '../builder.js';
import { init } from '../init.js';
import { add, gelu, mul, relu } from '../ops/elementwise.js';
import { attention } from '../ops/attention.js';
import { linear } from '../ops/linalg.js';
import { layerNorm } from '../ops/nn.js';
import { reshape, transpose } from '../ops/shape.js';
import { GraphError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** y = x·W + b with W [in, out] (xavier) and b [out] (zeros). */
export function dense(g: Graph, name: string, x: Tensor, out: number, opts: { bias?: boolean } = {}): Tensor {
  const inDim = x.shape[x.rank - 1]!;
  const w = g.param(`${name}/w`, [inDim, out], init.xavier());
  const b = opts.bias === false ? undefined : g.param(`${name}/b`, [out], init.zeros());
  return linear(x, w, b);
}

export function layerNormLayer(g: Graph, name: string, x: Tensor, epsilon = 1e-5): Tensor {
  const d = x.shape[x.rank - 1]!;
  return layerNorm(x, g.param(`${name}/gamma`, [d], init.ones()), g.param(`${name}/beta`, [d], init.zeros()), {
    epsilon,
  });
}

export interface AttentionOptions {
  readonly heads: number;
}

/** Multi-head attention: queries [B, T, D] attend over memory [B, S, D]. */
export function multiHeadAttention(g: Graph, name: string, q: Tensor, memory: Tensor, opts: AttentionOptions): Tensor {
  const [b, t, d] = q.shape as [number, number, number];
  const s = memory.shape[1]!;
  const h = opts.heads;
  if (q.rank !== 3 || memory.rank !== 3 || d % h !== 0 || memory.shape[2] !== d || memory.shape[0] !== b) {
    throw new GraphError(
      'LW_GRAPH_SHAPE_MISMATCH',
      `attention '${name}': q ${q.toString()}, memory ${memory.toString()}, ${h} heads`,
      {
        name,
      },
    );
  }
  const dh = d / h;
  const qs = mul(dense(g, `${name}/q`, q, d), 1 / Math.sqrt(dh));
  const qh = transpose(reshape(qs, [b, t, h, dh]), [0, 2, 1, 3]); // [B,H,T,dh]
  const kT = transpose(reshape(dense(g, `${name}/k`, memory, d), [b, s, h, dh]), [0, 2, 3, 1]); // [B,H,dh,S]
  const vh = transpose(reshape(dense(g, `${name}/v`, memory, d), [b, s, h, dh]), [0, 2, 1, 3]); // [B,H,S,dh]
  const ctx = reshape(transpose(attention(qh, kT, vh), [0, 2, 1, 3]), [b, t, d]);
  return dense(g, `${name}/o`, ctx, d);
}

export interface BlockOptions extends AttentionOptions {
  readonly ffn: number;
  readonly activation?: 'gelu' | 'relu';
  readonly epsilon?: number;
}

function feedForward(g: Graph, name: string, x: Tensor, o: BlockOptions): Tensor {
  const hidden = dense(g, `${name}/fc1`, x, o.ffn);
  const act = o.activation === 'relu' ? relu(hidden) : gelu(hidden);
  return dense(g, `${name}/fc2`, act, x.shape[x.rank - 1]!);
}

/** Post-norm encoder block: h = LN(x + MHA(x, x)); y = LN(h + FFN(h)). */
export function encoderBlock(g: Graph, name: string, x: Tensor, o: BlockOptions): Tensor {
  const h = layerNormLayer(g, `${name}/ln1`, add(x, multiHeadAttention(g, `${name}/attn`, x, x, o)), o.epsilon);
  return layerNormLayer(g, `${name}/ln2`, add(h, feedForward(g, `${name}/ffn`, h, o)), o.epsilon);
}

/** Post-norm decoder block (learned queries attend to encoder memory): self-attn, cross-attn, FFN. */
export function decoderBlock(g: Graph, name: string, q: Tensor, memory: Tensor, o: BlockOptions): Tensor {
  const h1 = layerNormLayer(g, `${name}/ln1`, add(q, multiHeadAttention(g, `${name}/self`, q, q, o)), o.epsilon);
  const h2 = layerNormLayer(
    g,
    `${name}/ln2`,
    add(h1, multiHeadAttention(g, `${name}/cross`, h1, memory, o)),
    o.epsilon,
  );
  return layerNormLayer(g, `${name}/ln3`, add(h2, feedForward(g, `${name}/ffn`, h2, o)), o.epsilon);
}
