/**
 * Symbolic tensors and graph nodes. A Tensor is a name in the ONNX graph plus what the builder knows statically
 * (shape, dtype, who produced it); all shapes are static so every mismatch is caught when the graph is built,
 * not when ORT runs it.
 */
import type { Graph } from './builder.js';

export type FloatDType = 'float32' | 'float64';
export type DType = FloatDType | 'int64' | 'int32' | 'bool';
export type Shape = readonly number[];

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
export type FloatData = Float32Array | Float64Array;

export type TensorKind = 'input' | 'param' | 'constant' | 'node';

/** Attribute values keep ONNX's int/float distinction explicit (a JS number can't tell 1 from 1.0). */
export type Attr =
  | { readonly t: 'i'; readonly v: number }
  | { readonly t: 'f'; readonly v: number }
  | { readonly t: 'is'; readonly v: readonly number[] }
  | { readonly t: 'fs'; readonly v: readonly number[] }
  | { readonly t: 's'; readonly v: string };

export const attr = {
  int: (v: number): Attr => ({ t: 'i', v }),
  float: (v: number): Attr => ({ t: 'f', v }),
  ints: (v: readonly number[]): Attr => ({ t: 'is', v }),
  floats: (v: readonly number[]): Attr => ({ t: 'fs', v }),
  str: (v: string): Attr => ({ t: 's', v }),
};

export interface NodeDef {
  readonly op: string;
  readonly name: string;
  /** `null` is an omitted optional ONNX input (serialised as ''). */
  readonly inputs: readonly (Tensor | null)[];
  readonly outputs: readonly Tensor[];
  readonly attrs: Readonly<Record<string, Attr>>;
  /** Order of creation; nodes are always appended in a valid topological order. */
  readonly index: number;
}

/**
 * Immutable handle; ops create new tensors. `producer` is null for inputs, params and constants (the graph's
 * leaves); `kind` decides how a leaf is exported (graph input or initializer).
 */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly shape: Shape,
    readonly dtype: DType,
    readonly kind: TensorKind,
    readonly producer: NodeDef | null,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return shapeSize(this.shape);
  }

  toString(): string {
    return `${this.name}:${this.dtype}[${this.shape.join(',')}]`;
  }
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function allocFor(dtype: DType, size: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int64':
      return new BigInt64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

export function dtypeOfData(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}
