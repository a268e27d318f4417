/** Reductions over a set of axes (all axes when omitted). */
import { attr, type Tensor } from '../tensor.js';
import { keptShape, normAxes, requireFloat } from './util.js';

export interface ReduceOptions {
  readonly keepDims?: boolean;
}

function reduce(
  op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax',
  x: Tensor,
  axes: readonly number[] | number | undefined,
  o: ReduceOptions,
): Tensor {
  requireFloat(op, x);
  const ax = normAxes(op, axes, x.rank);
  const keep = o.keepDims ?? false;
  const shape = keptShape(x.shape, ax, keep);
  const g = x.graph;
  // Opset 17: ReduceSum takes axes as an input (opset 13+), the others still as an attribute.
  if (op === 'ReduceSum') return g.add1(op, [x, g.int64s(ax)], shape, x.dtype, { keepdims: attr.int(keep ? 1 : 0) });
  return g.add1(op, [x], shape, x.dtype, { axes: attr.ints(ax), keepdims: attr.int(keep ? 1 : 0) });
}

export const reduceSum = (x: Tensor, axes?: readonly number[] | number, o: ReduceOptions = {}): Tensor =>
  reduce('ReduceSum', x, axes, o);
export const reduceMean = (x: Tensor, axes?: readonly number[] | number, o: ReduceOptions = {}): Tensor =>
  reduce('ReduceMean', x, axes, o);
export const reduceMax = (x: Tensor, axes?: readonly number[] | number, o: ReduceOptions = {}): Tensor =>
  reduce('ReduceMax', x, axes, o);
