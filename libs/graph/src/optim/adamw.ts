/**
 * AdamW (Loshchilov & Hutter) exactly as PyTorch computes it:
 *   p ← p·(1 − lr·wd)                         (decoupled decay, only params with weightDecay)
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
 *   p ← p − (lr / (1−β1ᵗ)) · m / (√(v / (1−β2ᵗ)) + ε)
 * Bias corrections are computed once per step as scalars from the step counter (a state slot, so checkpoints
 * resume it).
 */
import type { Graph, ParamEntry } from '../builder.js';
import { add, div, mul, pow, sqrt, sub } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { stateSlot, type Optimizer, type OptimizerBuild, type StateSlot } from './optimizer.js';

export interface AdamWConfig {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
}

export function adamw(config: AdamWConfig = {}): Optimizer {
  const b1 = config.beta1 ?? 0.9;
  const b2 = config.beta2 ?? 0.999;
  const eps = config.eps ?? 1e-8;
  const wd = config.weightDecay ?? 0.01;
  return {
    kind: 'adamw',
    config: { beta1: b1, beta2: b2, eps, weightDecay: wd },
    build(graph: Graph, params: readonly ParamEntry[], grads: readonly Tensor[], lr: Tensor): OptimizerBuild {
      const state: StateSlot[] = [];
      const dtype = lr.dtype;
      const step = stateSlot(graph, 'adamw/step', lr, (t) => add(t, 1));
      state.push(step);
      const t1 = step.next;
      const stepSize = div(lr, sub(1, pow(graph.scalar(b1, dtype), t1)));
      const invBc2 = div(1, sub(1, pow(graph.scalar(b2, dtype), t1)));
      const keep = sub(1, mul(lr, wd));
      const updates = new Map<string, Tensor>();
      params.forEach((p, i) => {
        const g = grads[i]!;
        const name = p.tensor.name;
        const m = stateSlot(graph, `adamw/m/${name}`, p.tensor, (t) => add(mul(t, b1), mul(g, 1 - b1)));
        const v = stateSlot(graph, `adamw/v/${name}`, p.tensor, (t) => add(mul(t, b2), mul(mul(g, g), 1 - b2)));
        state.push(m, v);
        const denom = add(sqrt(mul(v.next, invBc2)), eps);
        const decayed = p.weightDecay && wd !== 0 ? mul(p.tensor, keep) : p.tensor;
        updates.set(name, sub(decayed, div(mul(m.next, stepSize), denom)));
      });
      return { updates, state };
    },
  };
}
