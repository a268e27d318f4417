/**
 * Seeded parameter initialisers. Each parameter draws from its own stream derived from (graph seed, parameter name),
 * so adding a parameter never changes the initial values of the others — runs stay comparable across model edits.
 */
import type { FloatDType, Shape } from './tensor.js';
import { GraphError } from './errors.js';

export type Initializer =
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'normal'; readonly std: number; readonly mean?: number }
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  | { readonly kind: 'xavier'; readonly gain?: number }
  | { readonly kind: 'values'; readonly values: ArrayLike<number> };

export const init = {
  zeros: (): Initializer => ({ kind: 'zeros' }),
  ones: (): Initializer => ({ kind: 'ones' }),
  constant: (value: number): Initializer => ({ kind: 'constant', value }),
  normal: (std = 0.02, mean = 0): Initializer => ({ kind: 'normal', std, mean }),
  uniform: (low: number, high: number): Initializer => ({ kind: 'uniform', low, high }),
  /** Xavier/Glorot uniform; fan-in/out read as [in, out] for matrices and [out, in/groups, ...k] for conv kernels. */
  xavier: (gain = 1): Initializer => ({ kind: 'xavier', gain }),
  values: (values: ArrayLike<number>): Initializer => ({ kind: 'values', values }),
};

/** splitmix32-style PRNG: tiny, fast, good enough for initialisation and test data, identical on every platform. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  }
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }
  /** Box–Muller; one draw per call keeps the stream position easy to reason about. */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  fill(arr: Float32Array | Float64Array, f: (r: Rng) => number): void {
    for (let i = 0; i < arr.length; i++) arr[i] = f(this);
  }
}

export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function fans(shape: Shape): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return [shape[1]! * receptive, shape[0]! * receptive];
}

export function materialize(
  initializer: Initializer,
  shape: Shape,
  dtype: FloatDType,
  seed: number,
): Float32Array | Float64Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
  const rng = new Rng(seed);
  switch (initializer.kind) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'constant':
      out.fill(initializer.value);
      break;
    case 'normal': {
      const { std, mean = 0 } = initializer;
      rng.fill(out, (r) => mean + std * r.normal());
      break;
    }
    case 'uniform':
      rng.fill(out, (r) => r.uniform(initializer.low, initializer.high));
      break;
    case 'xavier': {
      const [fi, fo] = fans(shape);
      const limit = (initializer.gain ?? 1) * Math.sqrt(6 / (fi + fo));
      rng.fill(out, (r) => r.uniform(-limit, limit));
      break;
    }
    case 'values':
      if (initializer.values.length !== size) {
        throw new GraphError(
          'LW_GRAPH_SHAPE_MISMATCH',
          `initializer has ${initializer.values.length} values, shape needs ${size}`,
          {
            shape,
          },
        );
      }
      for (let i = 0; i < size; i++) out[i] = initializer.values[i]!;
      break;
  }
  return out;
}
