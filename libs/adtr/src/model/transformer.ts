/**
 * The reconstruction transformer: post-norm encoder/decoder layers (DETR style) where learned positional
 * embeddings are added to queries and keys in every attention, and the decoder starts from a learnable auxiliary
 * query (one vector per token position) instead of the input — so it cannot simply copy anomalies through.
 */
import {
  add,
  attention as attentionCore,
  expand,
  init,
  layerNorm,
  linear,
  mul,
  relu,
  reshape,
  transpose,
  type Graph,
  type Tensor,
} from '@linewatch/graph';

interface Dims {
  readonly batch: number;
  readonly tokens: number;
  readonly dim: number;
  readonly heads: number;
}

function dense(g: Graph, name: string, x: Tensor, inDim: number, outDim: number): Tensor {
  const w = g.param(`${name}.weight`, [inDim, outDim], init.xavier());
  const b = g.param(`${name}.bias`, [outDim], init.zeros(), { weightDecay: false });
  return linear(x, w, b);
}

function norm(g: Graph, name: string, x: Tensor, dim: number): Tensor {
  const gamma = g.param(`${name}.gamma`, [dim], init.ones(), { weightDecay: false });
  const beta = g.param(`${name}.beta`, [dim], init.zeros(), { weightDecay: false });
  return layerNorm(x, gamma, beta);
}

/** [N, T, D] → [N, heads, T, D/heads] */
function splitHeads(x: Tensor, d: Dims): Tensor {
  return transpose(reshape(x, [d.batch, d.tokens, d.heads, d.dim / d.heads]), [0, 2, 1, 3]);
}

/**
 * Multi-head attention; q/k already carry their positional embeddings, v does not. The core is the graph lib's
 * `attention` op (softmax(Q·Kᵀ)·V with a closed-form backward that avoids a pass over the T×T scores).
 */
export function attention(g: Graph, name: string, q: Tensor, k: Tensor, v: Tensor, d: Dims, mask?: Tensor): Tensor {
  const dh = d.dim / d.heads;
  const qh = splitHeads(mul(dense(g, `${name}.q`, q, d.dim, d.dim), 1 / Math.sqrt(dh)), d);
  // Keys straight to [N, h, dh, T]: one transpose instead of split-then-transpose.
  const kT = transpose(reshape(dense(g, `${name}.k`, k, d.dim, d.dim), [d.batch, d.tokens, d.heads, dh]), [0, 2, 3, 1]);
  const vh = splitHeads(dense(g, `${name}.v`, v, d.dim, d.dim), d);
  const ctx = attentionCore(qh, kT, vh, mask); // [N, h, T, dh]
  const merged = reshape(transpose(ctx, [0, 2, 1, 3]), [d.batch, d.tokens, d.dim]);
  return dense(g, `${name}.out`, merged, d.dim, d.dim);
}

function ffn(g: Graph, name: string, x: Tensor, dim: number, hidden: number): Tensor {
  return dense(g, `${name}.fc2`, relu(dense(g, `${name}.fc1`, x, dim, hidden)), hidden, dim);
}

export interface TransformerSpec extends Dims {
  readonly encoderLayers: number;
  readonly decoderLayers: number;
  readonly ffnHidden: number;
  /** Hide each position's own encoder output from its decoder cross-attention (see ModelConfig.ownTokenMask). */
  readonly ownTokenMask?: boolean;
}

/**
 * [T, T] additive attention mask with −10⁴ on the diagonal: after the softmax a query gives its own key a weight of
 * exp(−10⁴) = 0 in float32, so position t is rebuilt from the other positions' memory.
 */
function ownTokenMask(g: Graph, tokens: number): Tensor {
  const m = new Float32Array(tokens * tokens);
  for (let t = 0; t < tokens; t++) m[t * tokens + t] = -1e4;
  return g.constant(m, [tokens, tokens]);
}

/** tokens [N, T, D] → reconstruction [N, T, D]. */
export function reconstructionTransformer(g: Graph, tokens: Tensor, s: TransformerSpec, prefix = 'adtr'): Tensor {
  const pos = g.param(`${prefix}.pos_embed`, [s.tokens, s.dim], init.normal(0.02), { weightDecay: false });
  let mem = tokens;
  for (let i = 0; i < s.encoderLayers; i++) {
    const n = `${prefix}.enc${i}`;
    const qk = add(mem, pos);
    mem = norm(g, `${n}.norm1`, add(mem, attention(g, `${n}.attn`, qk, qk, mem, s)), s.dim);
    mem = norm(g, `${n}.norm2`, add(mem, ffn(g, `${n}.ffn`, mem, s.dim, s.ffnHidden)), s.dim);
  }
  const aux = g.param(`${prefix}.aux_query`, [s.tokens, s.dim], init.normal(0.02), { weightDecay: false });
  let tgt = expand(aux, [s.batch, s.tokens, s.dim]);
  const memPos = add(mem, pos);
  const xmask = s.ownTokenMask ? ownTokenMask(g, s.tokens) : undefined;
  for (let i = 0; i < s.decoderLayers; i++) {
    const n = `${prefix}.dec${i}`;
    const qk = add(tgt, pos);
    tgt = norm(g, `${n}.norm1`, add(tgt, attention(g, `${n}.self`, qk, qk, tgt, s)), s.dim);
    tgt = norm(g, `${n}.norm2`, add(tgt, attention(g, `${n}.cross`, add(tgt, pos), memPos, mem, s, xmask)), s.dim);
    tgt = norm(g, `${n}.norm3`, add(tgt, ffn(g, `${n}.ffn`, tgt, s.dim, s.ffnHidden)), s.dim);
  }
  return tgt;
}
