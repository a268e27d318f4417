/** Small deterministic models and data shared by the trainer tests. */
import { Graph } from '../src/builder.js';
import { Rng, init } from '../src/init.js';
import { dense, encoderBlock } from '../src/layers/transformer.js';
import { linear, mul, reduceMean, relu, sub } from '../src/ops/index.js';
import type { Tensor } from '../src/tensor.js';

export interface Built {
  readonly graph: Graph;
  readonly loss: Tensor;
  readonly pred: Tensor;
}

export const MLP = { batch: 32, inDim: 4, hidden: 32 } as const;

/** 2-layer MLP (ReLU) regressing a smooth non-linear function of x. */
export function buildMlp(seed = 1): Built {
  const g = new Graph({ seed });
  const x = g.input('x', [MLP.batch, MLP.inDim]);
  const y = g.input('y', [MLP.batch, 1]);
  const w1 = g.param('w1', [MLP.inDim, MLP.hidden], init.xavier());
  const b1 = g.param('b1', [MLP.hidden], init.zeros());
  const w2 = g.param('w2', [MLP.hidden, 1], init.xavier());
  const b2 = g.param('b2', [1], init.zeros());
  const pred = linear(relu(linear(x, w1, b1)), w2, b2);
  const d = sub(pred, y);
  return { graph: g, loss: reduceMean(mul(d, d)), pred };
}

export function mlpData(seed = 3): { x: Float32Array; y: Float32Array } {
  const r = new Rng(seed);
  const x = new Float32Array(MLP.batch * MLP.inDim);
  const y = new Float32Array(MLP.batch);
  for (let i = 0; i < MLP.batch; i++) {
    let s = 0;
    for (let j = 0; j < MLP.inDim; j++) {
      const v = r.uniform(-1, 1);
      x[i * MLP.inDim + j] = v;
      s += (j + 1) * v;
    }
    y[i] = Math.sin(s) + 0.5 * s;
  }
  return { x, y };
}

export const TF = { batch: 4, seq: 8, dim: 16, heads: 2, ffn: 32 } as const;

/** One post-norm encoder block + linear head, regressing a fixed random target per token. */
export function buildTransformer(seed = 1): Built {
  const g = new Graph({ seed });
  const x = g.input('x', [TF.batch, TF.seq, TF.dim]);
  const y = g.input('y', [TF.batch, TF.seq, 1]);
  const h = encoderBlock(g, 'enc', x, { heads: TF.heads, ffn: TF.ffn });
  const pred = dense(g, 'head', h, 1);
  const d = sub(pred, y);
  return { graph: g, loss: reduceMean(mul(d, d)), pred };
}

export function tfData(seed = 5): { x: Float32Array; y: Float32Array } {
  const r = new Rng(seed);
  const x = Float32Array.from({ length: TF.batch * TF.seq * TF.dim }, () => r.normal());
  // Target mixes a token's own features with its sequence mean, so attention has something to learn.
  const y = new Float32Array(TF.batch * TF.seq);
  for (let b = 0; b < TF.batch; b++) {
    for (let t = 0; t < TF.seq; t++) {
      let own = 0;
      let mean = 0;
      for (let k = 0; k < TF.seq; k++) mean += x[(b * TF.seq + k) * TF.dim]! / TF.seq;
      for (let j = 0; j < 4; j++) own += x[(b * TF.seq + t) * TF.dim + j]!;
      y[b * TF.seq + t] = Math.tanh(own) + mean;
    }
  }
  return { x, y };
}
