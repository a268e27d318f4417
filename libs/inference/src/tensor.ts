/** Plain tensors at the lib boundary, so callers never need onnxruntime's classes. */
import { OrtTensorCtor, type OrtTensor, type OrtTensorType } from './ort.js';

export type TensorDType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

export type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface TensorData {
  readonly type: TensorDType;
  readonly data: TypedData;
  readonly dims: readonly number[];
}

export function float32(data: Float32Array, dims: readonly number[]): TensorData {
  return { type: 'float32', data, dims };
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Wraps without copying: onnxruntime-node reads the typed array's memory directly. */
export function toOrtTensor(t: TensorData): OrtTensor {
  return new OrtTensorCtor(t.type as OrtTensorType, t.data as never, t.dims as number[]);
}

export function fromOrtTensor(t: OrtTensor): TensorData {
  return { type: t.type as TensorDType, data: t.data as TypedData, dims: [...t.dims] };
}

export function zerosLike(type: TensorDType, dims: readonly number[]): TensorData {
  const n = elementCount(dims);
  switch (type) {
    case 'float32':
      return { type, data: new Float32Array(n), dims };
    case 'float64':
      return { type, data: new Float64Array(n), dims };
    case 'int64':
      return { type, data: new BigInt64Array(n), dims };
    case 'int32':
      return { type, data: new Int32Array(n), dims };
    case 'uint8':
    case 'bool':
      return { type, data: new Uint8Array(n), dims };
  }
}
