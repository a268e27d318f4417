/** Helpers shared by gradient rules. */
import type { Graph } from '../builder.js';
import { GraphError } from '../errors.js';
import { reduceSum } from '../ops/reduce.js';
import { expand, reshape } from '../ops/shape.js';
import type { Shape, Tensor } from '../tensor.js';
import { sameShape } from '../tensor.js';

/**
 * Sum a broadcast gradient back to the operand's shape with a single ReduceSum (keepdims) + a free Reshape —
 * never by materialising the broadcast.
 */
export function unbroadcast(g: Tensor, target: Shape): Tensor {
  if (sameShape(g.shape, target)) return g;
  const lead = g.rank - target.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (target[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const r = axes.length > 0 ? reduceSum(g, axes, { keepDims: true }) : g;
  return reshape(r, target);
}

/** Zeros of a shape without a full-size initializer: a scalar expanded at run time. */
export function zerosLike(graph: Graph, t: Tensor): Tensor {
  return expand(graph.scalar(0, t.dtype), t.shape);
}

/** Reads an int64 constant input (axes, starts, pads …) back to numbers. */
export function constInts(graph: Graph, t: Tensor | null | undefined): number[] {
  const c = t ? graph.constants.get(t.name) : undefined;
  if (!c || !(c.data instanceof BigInt64Array)) {
    throw new GraphError('LW_GRAPH_BAD_ARGUMENT', `expected an int64 constant, got ${t?.toString() ?? 'nothing'}`, {});
  }
  return Array.from(c.data, (v) => Number(v));
}

/** Value of a scalar float constant, or undefined if `t` is not one. */
export function constScalar(graph: Graph, t: Tensor): number | undefined {
  if (t.kind !== 'constant' || t.size !== 1) return undefined;
  const c = graph.constants.get(t.name);
  return c && (c.data instanceof Float32Array || c.data instanceof Float64Array) ? c.data[0] : undefined;
}
