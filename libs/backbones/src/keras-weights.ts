/**
 * Decodes TF.js `weightsManifest` groups into named float32 tensors.
 *
 * Each group's shard files are concatenated, then weights are read sequentially. Quantised weights (TF.js converter
 * `--quantize_uint8/uint16/float16`) are expanded to float32 here: nsfwjs ships uint8 affine-quantised weights
 * (`value = q * scale + min`).
 */
import { BackboneError } from './errors.js';

export interface WeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: { readonly dtype: string; readonly min?: number; readonly scale?: number };
}

export interface WeightGroup {
  readonly paths: readonly string[];
  readonly weights: readonly WeightEntry[];
}

export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function bytesPer(dtype: string, name: string): number {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'uint16':
    case 'float16':
      return 2;
    case 'uint8':
      return 1;
    default:
      throw new BackboneError('LW_BACKBONE_WEIGHTS', `weight "${name}" has unsupported dtype ${dtype}`, {
        name,
        dtype,
      });
  }
}

function decodeOne(entry: WeightEntry, bytes: Uint8Array): Float32Array {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  const q = entry.quantization;
  if (!q) {
    if (entry.dtype !== 'float32') {
      throw new BackboneError('LW_BACKBONE_WEIGHTS', `weight "${entry.name}" is ${entry.dtype}, expected float32`);
    }
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  if (q.dtype === 'float16') {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
    return out;
  }
  const scale = q.scale;
  const min = q.min;
  if (typeof scale !== 'number' || typeof min !== 'number') {
    throw new BackboneError('LW_BACKBONE_WEIGHTS', `weight "${entry.name}" is quantised without scale/min`);
  }
  if (q.dtype === 'uint8') for (let i = 0; i < count; i++) out[i] = (bytes[i] ?? 0) * scale + min;
  else if (q.dtype === 'uint16') for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true) * scale + min;
  else throw new BackboneError('LW_BACKBONE_WEIGHTS', `weight "${entry.name}" has unsupported quantisation ${q.dtype}`);
  return out;
}

/** `shards[g]` holds the concatenated bytes of group g's files, in manifest order. */
export function decodeWeights(groups: readonly WeightGroup[], shards: readonly Uint8Array[]): Map<string, NamedTensor> {
  if (shards.length !== groups.length) {
    throw new BackboneError('LW_BACKBONE_WEIGHTS', `expected ${groups.length} weight groups, got ${shards.length}`);
  }
  const out = new Map<string, NamedTensor>();
  groups.forEach((group, g) => {
    const buf = shards[g] as Uint8Array;
    let offset = 0;
    for (const entry of group.weights) {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      const size = count * bytesPer(entry.quantization?.dtype ?? entry.dtype, entry.name);
      if (offset + size > buf.length) {
        throw new BackboneError('LW_BACKBONE_WEIGHTS', `weights end early at "${entry.name}"`, {
          name: entry.name,
          needed: offset + size,
          have: buf.length,
        });
      }
      out.set(entry.name, { shape: [...entry.shape], data: decodeOne(entry, buf.subarray(offset, offset + size)) });
      offset += size;
    }
    if (offset !== buf.length) {
      throw new BackboneError('LW_BACKBONE_WEIGHTS', `group ${g} has ${buf.length - offset} unread bytes`, {
        group: g,
      });
    }
  });
  return out;
}
