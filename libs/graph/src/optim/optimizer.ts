/**
 * Optimizers are graph builders: given params, their gradients and a learning-rate tensor they append update
 * nodes and declare their state as (input, next-value) pairs. The Trainer feeds each `next` back as the `input` of
 * the following step, so state lives in ORT tensors and never round-trips through a re-serialised model.
 */
import type { Graph, ParamEntry } from '../builder.js';
import type { FloatData, Tensor } from '../tensor.js';

export interface StateSlot {
  /** Graph input holding the value before the step. */
  readonly input: Tensor;
  /** Value after the step (fed back as `input` next time). */
  readonly next: Tensor;
  readonly init: FloatData;
}

export interface OptimizerBuild {
  /** Param name → updated value. */
  readonly updates: ReadonlyMap<string, Tensor>;
  readonly state: readonly StateSlot[];
}

export interface Optimizer {
  readonly kind: string;
  /** Hyper-parameters, recorded in checkpoints. */
  readonly config: Readonly<Record<string, number | boolean>>;
  build(graph: Graph, params: readonly ParamEntry[], grads: readonly Tensor[], lr: Tensor): OptimizerBuild;
}

export function stateSlot(graph: Graph, name: string, like: Tensor, next: (input: Tensor) => Tensor): StateSlot {
  const input = graph.input(name, like.shape, like.dtype);
  const size = like.size;
  return { input, next: next(input), init: like.dtype === 'float64' ? new Float64Array(size) : new Float32Array(size) };
}
