/** Element-wise arithmetic and activations with ONNX broadcasting; numbers are lifted to scalar constants. */
import { GraphError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { DType } from '../tensor.js';
import { broadcastShapes, lift2, requireFloat, type TensorLike } from './util.js';

function binary(op: string, a: TensorLike, b: TensorLike): Tensor {
  const [g, ta, tb] = lift2(op, a, b);
  return g.add1(op, [ta, tb], broadcastShapes(op, ta.shape, tb.shape), ta.dtype);
}

function unary(op: string, x: Tensor): Tensor {
  requireFloat(op, x);
  return x.graph.add1(op, [x], x.shape, x.dtype);
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('Add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('Sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('Mul', a, b);
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('Div', a, b);
/** x^p; a number exponent keeps the gradient free of log(x) (safe for x ≤ 0). */
export const pow = (x: Tensor, p: TensorLike): Tensor => binary('Pow', x, p);

export const neg = (x: Tensor): Tensor => unary('Neg', x);
export const exp = (x: Tensor): Tensor => unary('Exp', x);
export const log = (x: Tensor): Tensor => unary('Log', x);
export const sqrt = (x: Tensor): Tensor => unary('Sqrt', x);
export const abs = (x: Tensor): Tensor => unary('Abs', x);
export const relu = (x: Tensor): Tensor => unary('Relu', x);
export const sigmoid = (x: Tensor): Tensor => unary('Sigmoid', x);
export const tanh = (x: Tensor): Tensor => unary('Tanh', x);
export const erf = (x: Tensor): Tensor => unary('Erf', x);
export const sign = (x: Tensor): Tensor => unary('Sign', x);
export const square = (x: Tensor): Tensor => mul(x, x);

const LOG_INV_SQRT_2PI = -0.5 * Math.log(2 * Math.PI);

/**
 * Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)), written in the pattern ORT's GeluFusion recognises so inference runs
 * one fused kernel. Its gradient is the closed form Φ(x) + x·φ(x), reusing 1 + erf(x/√2) from the forward.
 */
export function gelu(x: Tensor): Tensor {
  const t = add(erf(div(x, Math.SQRT2)), 1);
  const y = mul(mul(x, t), 0.5);
  x.graph.customGradient(y, [x], (gy) => {
    const xPdf = mul(x, exp(add(mul(mul(x, x), -0.5), LOG_INV_SQRT_2PI)));
    return [mul(gy, add(mul(t, 0.5), xPdf))];
  });
  return y;
}

/** Clamp to [min, max]; relu6 = clip(x, 0, 6). Gradient passes where min ≤ x ≤ max. */
export function clip(x: Tensor, min?: number, max?: number): Tensor {
  requireFloat('Clip', x);
  const g = x.graph;
  const lo = min === undefined ? null : g.scalar(min, x.dtype);
  const hi = max === undefined ? null : g.scalar(max, x.dtype);
  return g.add1('Clip', [x, lo, hi], x.shape, x.dtype);
}

function compare(op: string, a: TensorLike, b: TensorLike): Tensor {
  const [g, ta, tb] = lift2(op, a, b);
  return g.add1(op, [ta, tb], broadcastShapes(op, ta.shape, tb.shape), 'bool');
}
export const greater = (a: TensorLike, b: TensorLike): Tensor => compare('Greater', a, b);
export const less = (a: TensorLike, b: TensorLike): Tensor => compare('Less', a, b);
export const greaterOrEqual = (a: TensorLike, b: TensorLike): Tensor => compare('GreaterOrEqual', a, b);
export const lessOrEqual = (a: TensorLike, b: TensorLike): Tensor => compare('LessOrEqual', a, b);
export const equal = (a: TensorLike, b: TensorLike): Tensor => compare('Equal', a, b);

export function and(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== 'bool' || b.dtype !== 'bool')
    throw new GraphError('LW_GRAPH_DTYPE_MISMATCH', 'And: needs bool tensors', {});
  return a.graph.add1('And', [a, b], broadcastShapes('And', a.shape, b.shape), 'bool');
}

/** cond ? a : b with three-way broadcasting; a number branch becomes a scalar of the other branch's dtype. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (cond.dtype !== 'bool')
    throw new GraphError('LW_GRAPH_DTYPE_MISMATCH', `Where: condition must be bool, got ${cond.toString()}`, {});
  const [g, ta, tb] = lift2('Where', a, b);
  const shape = broadcastShapes('Where', cond.shape, broadcastShapes('Where', ta.shape, tb.shape));
  return g.add1('Where', [cond, ta, tb], shape, ta.dtype);
}

const ONNX_TYPE: Record<DType, number> = { float32: 1, float64: 11, int64: 7, int32: 6, bool: 9 };
export function cast(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  return x.graph.add1('Cast', [x], x.shape, to, { to: { t: 'i', v: ONNX_TYPE[to] } });
}

export function identity(x: Tensor): Tensor {
  return x.graph.add1('Identity', [x], x.shape, x.dtype);
}

/**
 * Marks a value as a constant for autodiff (frozen backbone features, labels, targets built from the model's own
 * output). Emitted as ONNX Identity under a distinct op tag so the serializer writes Identity and ORT removes it.
 */
export function stopGradient(x: Tensor): Tensor {
  return x.graph.add1('StopGradient', [x], x.shape, x.dtype);
}
