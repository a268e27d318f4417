/** Gradient rules for element-wise ops. Broadcast operands get their gradient summed back by `unbroadcast`. */
import * as o from '../ops/elementwise.js';
import type { GradRule } from './rule.js';
import { constScalar, unbroadcast } from './unbroadcast.js';

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

function binaryIO(n: Parameters<GradRule>[0]) {
  return { a: n.inputs[0]!, b: n.inputs[1]!, y: n.outputs[0]! };
}

export const elementwiseRules: Record<string, GradRule> = {
  Add: (n, [gy], needs) => {
    const { a, b } = binaryIO(n);
    return [needs[0] ? unbroadcast(gy!, a.shape) : undefined, needs[1] ? unbroadcast(gy!, b.shape) : undefined];
  },
  Sub: (n, [gy], needs) => {
    const { a, b } = binaryIO(n);
    return [needs[0] ? unbroadcast(gy!, a.shape) : undefined, needs[1] ? unbroadcast(o.neg(gy!), b.shape) : undefined];
  },
  Mul: (n, [gy], needs) => {
    const { a, b } = binaryIO(n);
    return [
      needs[0] ? unbroadcast(o.mul(gy!, b), a.shape) : undefined,
      needs[1] ? unbroadcast(o.mul(gy!, a), b.shape) : undefined,
    ];
  },
  // d(a/b) = da/b − a·db/b² = da/b − y·db/b
  Div: (n, [gy], needs) => {
    const { a, b, y } = binaryIO(n);
    return [
      needs[0] ? unbroadcast(o.div(gy!, b), a.shape) : undefined,
      needs[1] ? unbroadcast(o.neg(o.div(o.mul(gy!, y), b)), b.shape) : undefined,
    ];
  },
  // d(x^p)/dx = p·x^(p−1); for a constant scalar p this stays free of log(x), valid for x ≤ 0 too.
  Pow: (n, [gy], needs) => {
    const { a: x, b: p, y } = binaryIO(n);
    const g = x.graph;
    let gx;
    if (needs[0]) {
      const pv = constScalar(g, p);
      const dydx =
        pv === undefined
          ? o.mul(p, o.pow(x, o.sub(p, 1)))
          : pv === 2
            ? o.mul(x, 2)
            : pv === 1
              ? undefined
              : o.mul(o.pow(x, pv - 1), pv);
      gx = unbroadcast(dydx ? o.mul(gy!, dydx) : gy!, x.shape);
    }
    const gp = needs[1] ? unbroadcast(o.mul(o.mul(gy!, y), o.log(x)), p.shape) : undefined;
    return [gx, gp];
  },
  Neg: (_n, [gy]) => [o.neg(gy!)],
  Exp: (n, [gy]) => [o.mul(gy!, n.outputs[0]!)],
  Log: (n, [gy]) => [o.div(gy!, n.inputs[0]!)],
  Sqrt: (n, [gy]) => [o.div(gy!, o.mul(n.outputs[0]!, 2))],
  // Sub-gradient 0 at x = 0 (Sign(0) = 0), as in PyTorch.
  Abs: (n, [gy]) => [o.mul(gy!, o.sign(n.inputs[0]!))],
  Relu: (n, [gy]) => [o.where(o.greater(n.inputs[0]!, 0), gy!, 0)],
  Sigmoid: (n, [gy]) => {
    const y = n.outputs[0]!;
    return [o.mul(gy!, o.mul(y, o.sub(1, y)))];
  },
  Tanh: (n, [gy]) => {
    const y = n.outputs[0]!;
    return [o.mul(gy!, o.sub(1, o.mul(y, y)))];
  },
  Erf: (n, [gy]) => {
    const x = n.inputs[0]!;
    return [o.mul(gy!, o.mul(o.exp(o.neg(o.mul(x, x))), TWO_OVER_SQRT_PI))];
  },
  // Piecewise constant: zero almost everywhere.
  Sign: () => [undefined],
  // Passes where min ≤ x ≤ max (bounds are constants; no gradient to them).
  Clip: (n, [gy]) => {
    const [x, lo, hi] = n.inputs;
    let mask = lo ? o.greaterOrEqual(x!, lo) : undefined;
    if (hi) mask = mask ? o.and(mask, o.lessOrEqual(x!, hi)) : o.lessOrEqual(x!, hi);
    return [mask ? o.where(mask, gy!, 0) : gy!, undefined, undefined];
  },
  Where: (n, [gy], needs) => {
    const [c, a, b] = n.inputs;
    return [
      undefined,
      needs[1] ? unbroadcast(o.where(c!, gy!, 0), a!.shape) : undefined,
      needs[2] ? unbroadcast(o.where(c!, 0, gy!), b!.shape) : undefined,
    ];
  },
  Identity: (_n, [gy]) => [gy],
  Cast: (n, [gy]) => [o.cast(gy!, n.inputs[0]!.dtype)],
  Sum: (n, [gy], needs) => n.inputs.map((_, i) => (needs[i] ? gy : undefined)),
};
