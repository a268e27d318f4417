/** Plain typed image containers shared by every module: no classes, so they cross worker/IPC boundaries as-is. */
import { VisionError, VisionErrorCodes, badArgument } from './errors.js';

/** 8-bit RGB image, HWC (row-major, 3 interleaved channels). */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
  readonly data: Uint8Array;
}

/** Single-channel float map (anomaly map, noise field), row-major. */
export interface FloatMap {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** Binary mask, one byte per pixel: 0 = normal, 1 = anomalous. */
export interface BinaryMask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export function checkDims(width: number, height: number, what = 'image'): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw badArgument(`${what} size must be positive integers, got ${width}×${height}`, { width, height });
  }
}

export function createImage(
  width: number,
  height: number,
  fill: readonly [number, number, number] = [0, 0, 0],
): RgbImage {
  checkDims(width, height);
  const data = new Uint8Array(width * height * 3);
  if (fill[0] !== 0 || fill[1] !== 0 || fill[2] !== 0) {
    for (let i = 0; i < data.length; i += 3) {
      data[i] = fill[0];
      data[i + 1] = fill[1];
      data[i + 2] = fill[2];
    }
  }
  return { width, height, channels: 3, data };
}

export function createMap(width: number, height: number, data?: Float32Array): FloatMap {
  checkDims(width, height, 'map');
  if (data && data.length !== width * height) {
    throw badArgument(`map data has ${data.length} values, expected ${width}×${height}`, {
      length: data.length,
      width,
      height,
    });
  }
  return { width, height, data: data ?? new Float32Array(width * height) };
}

export function checkImage(img: RgbImage, what = 'image'): void {
  checkDims(img.width, img.height, what);
  if (img.data.length !== img.width * img.height * 3) {
    throw badArgument(`${what} data has ${img.data.length} bytes, expected ${img.width}×${img.height}×3`, {
      length: img.data.length,
      width: img.width,
      height: img.height,
    });
  }
}

export function checkSameSize(
  a: { width: number; height: number },
  b: { width: number; height: number },
  what: string,
): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new VisionError(VisionErrorCodes.SIZE_MISMATCH, `${what}: ${a.width}×${a.height} vs ${b.width}×${b.height}`, {
      expected: { width: a.width, height: a.height },
      actual: { width: b.width, height: b.height },
    });
  }
}

/** RGB → single luma channel (BT.601 weights), e.g. to build masks or grayscale previews. */
export function toGray(img: RgbImage): Uint8Array {
  const out = new Uint8Array(img.width * img.height);
  const d = img.data;
  for (let p = 0, i = 0; p < out.length; p++, i += 3) {
    out[p] = Math.round(0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!);
  }
  return out;
}

/** Expands 1/2/3/4-channel interleaved bytes to RGB (gray is replicated, alpha dropped). */
export function toRgb(data: Uint8Array, width: number, height: number, channels: number): RgbImage {
  const n = width * height;
  if (channels === 3) return { width, height, channels: 3, data: data.length === n * 3 ? data : data.slice(0, n * 3) };
  if (channels < 1 || channels > 4) throw badArgument(`cannot convert ${channels} channels to RGB`, { channels });
  const out = new Uint8Array(n * 3);
  const gray = channels <= 2;
  for (let p = 0; p < n; p++) {
    const s = p * channels;
    const o = p * 3;
    if (gray) {
      const v = data[s]!;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
    } else {
      out[o] = data[s]!;
      out[o + 1] = data[s + 1]!;
      out[o + 2] = data[s + 2]!;
    }
  }
  return { width, height, channels: 3, data: out };
}

/** 8-bit single-channel image (mask source, grayscale heatmap). */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1;
  readonly data: Uint8Array;
}
