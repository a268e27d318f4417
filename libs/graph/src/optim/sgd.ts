/**
 * SGD with optional momentum and (coupled, L2-style) weight decay, as PyTorch's torch.optim.SGD:
 *   g ← g + wd·p;  b ← μ·b + g;  p ← p − lr·b     (without momentum: p ← p − lr·g)
 */
import type { Graph, ParamEntry } from '../builder.js';
import { add, mul, sub } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { stateSlot, type Optimizer, type OptimizerBuild, type StateSlot } from './optimizer.js';

export interface SgdConfig {
  readonly momentum?: number;
  readonly weightDecay?: number;
}

export function sgd(config: SgdConfig = {}): Optimizer {
  const mu = config.momentum ?? 0;
  const wd = config.weightDecay ?? 0;
  return {
    kind: 'sgd',
    config: { momentum: mu, weightDecay: wd },
    build(graph: Graph, params: readonly ParamEntry[], grads: readonly Tensor[], lr: Tensor): OptimizerBuild {
      const state: StateSlot[] = [];
      const updates = new Map<string, Tensor>();
      params.forEach((p, i) => {
        let g = grads[i]!;
        if (wd !== 0 && p.weightDecay) g = add(g, mul(p.tensor, wd));
        if (mu !== 0) {
          const gg = g;
          const buf = stateSlot(graph, `sgd/momentum/${p.tensor.name}`, p.tensor, (b) => add(mul(b, mu), gg));
          state.push(buf);
          g = buf.next;
        }
        updates.set(p.tensor.name, sub(p.tensor, mul(g, lr)));
      });
      return { updates, state };
    },
  };
}
