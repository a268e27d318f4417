/** Pure-TS operations on single-channel float maps: upsampling anomaly maps, pooling, image scores. */
import { badArgument } from './errors.js';
import type { FloatMap } from './image.js';
import { checkDims, createMap } from './image.js';
import { axisTable } from './preprocess.js';

export interface ResizeMapOptions {
  /** true: corner samples map onto corner samples (PyTorch align_corners=True); default false (half-pixel centres). */
  readonly alignCorners?: boolean;
}

function checkMap(m: FloatMap): void {
  checkDims(m.width, m.height, 'map');
  if (m.data.length !== m.width * m.height)
    throw badArgument(`map data has ${m.data.length} values, expected ${m.width}×${m.height}`);
}

/** Bilinear resize of a float map (e.g. a 16×16 token-grid anomaly map up to the input resolution). */
export function resizeMap(map: FloatMap, width: number, height: number, opts: ResizeMapOptions = {}): FloatMap {
  checkMap(map);
  checkDims(width, height, 'target');
  const x = axisTable(map.width, width, opts.alignCorners ?? false);
  const y = axisTable(map.height, height, opts.alignCorners ?? false);
  const src = map.data;
  const out = new Float32Array(width * height);
  for (let oy = 0; oy < height; oy++) {
    const r0 = y.i0[oy]! * map.width,
      r1 = y.i1[oy]! * map.width,
      wy = y.w[oy]!;
    for (let ox = 0; ox < width; ox++) {
      const a = x.i0[ox]!,
        b = x.i1[ox]!,
        wx = x.w[ox]!;
      const top = src[r0 + a]! + (src[r0 + b]! - src[r0 + a]!) * wx;
      const bot = src[r1 + a]! + (src[r1 + b]! - src[r1 + a]!) * wx;
      out[oy * width + ox] = top + (bot - top) * wy;
    }
  }
  return { width, height, data: out };
}

export interface AvgPoolOptions {
  /** Step between windows, default 1. */
  readonly stride?: number;
}

/**
 * Average pooling with a kernel×kernel window and no padding ("valid"); a kernel larger than the map is clamped to
 * the map size. Uses a summed-area table (float64) so the cost does not grow with the kernel.
 */
export function avgPool(map: FloatMap, kernel: number, opts: AvgPoolOptions = {}): FloatMap {
  checkMap(map);
  const stride = opts.stride ?? 1;
  if (!Number.isInteger(kernel) || kernel < 1) throw badArgument(`kernel must be a positive integer, got ${kernel}`);
  if (!Number.isInteger(stride) || stride < 1) throw badArgument(`stride must be a positive integer, got ${stride}`);
  const kw = Math.min(kernel, map.width);
  const kh = Math.min(kernel, map.height);
  const W = map.width;
  const sat = new Float64Array((W + 1) * (map.height + 1));
  for (let y = 0; y < map.height; y++) {
    let rowSum = 0;
    for (let x = 0; x < W; x++) {
      rowSum += map.data[y * W + x]!;
      sat[(y + 1) * (W + 1) + x + 1] = sat[y * (W + 1) + x + 1]! + rowSum;
    }
  }
  const ow = Math.floor((W - kw) / stride) + 1;
  const oh = Math.floor((map.height - kh) / stride) + 1;
  const out = new Float32Array(ow * oh);
  const area = kw * kh;
  for (let oy = 0; oy < oh; oy++) {
    const y0 = oy * stride,
      y1 = y0 + kh;
    for (let ox = 0; ox < ow; ox++) {
      const x0 = ox * stride,
        x1 = x0 + kw;
      const s = sat[y1 * (W + 1) + x1]! - sat[y0 * (W + 1) + x1]! - sat[y1 * (W + 1) + x0]! + sat[y0 * (W + 1) + x0]!;
      out[oy * ow + ox] = s / area;
    }
  }
  return createMap(ow, oh, out);
}

/** Smallest and largest value (NaN-free input assumed; NaN values are skipped). */
export function mapRange(map: FloatMap): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of map.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Image-level anomaly score: max of the kernel×kernel average-pooled map (suppresses single-pixel spikes). */
export function imageScore(map: FloatMap, kernel = 1): number {
  checkMap(map);
  return mapRange(kernel === 1 ? map : avgPool(map, kernel))[1];
}
