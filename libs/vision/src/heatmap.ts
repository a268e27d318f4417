/**
 * Anomaly maps as pictures: 8-bit grayscale (what events carry as `mapPng`: compact and re-scalable because the
 * value range is fixed and known), colour-mapped previews, and overlays on the camera frame.
 */
import { colormapLut } from './colormap.js';
import type { ColormapName } from './colormap.js';
import { encodeJpeg, encodePng } from './encode.js';
import type { JpegOptions } from './encode.js';
import { badArgument } from './errors.js';
import { mapRange, resizeMap } from './floatmap.js';
import type { FloatMap, GrayImage, RgbImage } from './image.js';
import { checkImage } from './image.js';

export interface RangeOptions {
  /** [low, high] mapped to 0 and 255; values outside are clamped. Default: the map's own min/max. */
  readonly range?: readonly [number, number];
}

export interface ColorOptions extends RangeOptions {
  readonly colormap?: ColormapName;
}

export interface OverlayOptions extends ColorOptions {
  /** Heatmap opacity 0..1 (default 0.5). */
  readonly alpha?: number;
}

function resolveRange(map: FloatMap, range?: readonly [number, number]): [number, number] {
  const [lo, hi] = range ?? mapRange(map);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo)
    throw badArgument(`invalid value range [${lo}, ${hi}]`, { range });
  return [lo, hi];
}

/** Quantises a float map to 0..255 over the given range; a flat range (low = high) gives all zeros. */
export function mapToGray(map: FloatMap, opts: RangeOptions = {}): GrayImage {
  const [lo, hi] = resolveRange(map, opts.range);
  const k = hi > lo ? 255 / (hi - lo) : 0;
  const out = new Uint8Array(map.width * map.height);
  for (let i = 0; i < out.length; i++) {
    const v = (map.data[i]! - lo) * k;
    out[i] = v <= 0 || v !== v ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return { width: map.width, height: map.height, channels: 1, data: out };
}

/** Inverse of {@link mapToGray} up to quantisation: recovers map values from an 8-bit heatmap and its range. */
export function grayToMap(gray: GrayImage, range: readonly [number, number]): FloatMap {
  const [lo, hi] = range;
  const data = new Float32Array(gray.width * gray.height);
  for (let i = 0; i < data.length; i++) data[i] = lo + (gray.data[i]! / 255) * (hi - lo);
  return { width: gray.width, height: gray.height, data };
}

/** Grayscale 8-bit heatmap PNG. */
export async function heatmapPng(map: FloatMap, opts: RangeOptions = {}): Promise<Buffer> {
  return encodePng(mapToGray(map, opts));
}

/** Colour-mapped RGB heatmap (turbo by default). */
export function colorizeMap(map: FloatMap, opts: ColorOptions = {}): RgbImage {
  const gray = mapToGray(map, opts);
  const lut = colormapLut(opts.colormap ?? 'turbo');
  const out = new Uint8Array(gray.data.length * 3);
  for (let i = 0; i < gray.data.length; i++) {
    const l = gray.data[i]! * 3;
    out[i * 3] = lut[l]!;
    out[i * 3 + 1] = lut[l + 1]!;
    out[i * 3 + 2] = lut[l + 2]!;
  }
  return { width: map.width, height: map.height, channels: 3, data: out };
}

/**
 * Blends a colour-mapped heatmap over a frame: out = (1 − α)·frame + α·heat. A map of a different size (e.g. the
 * model's input resolution) is bilinearly resized to the frame first.
 */
export function overlayHeatmap(frame: RgbImage, map: FloatMap, opts: OverlayOptions = {}): RgbImage {
  checkImage(frame, 'frame');
  const alpha = opts.alpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) throw badArgument(`alpha must be in [0, 1], got ${alpha}`);
  const range = resolveRange(map, opts.range); // from the original map: resizing must not change the colour scale
  const fitted =
    map.width === frame.width && map.height === frame.height ? map : resizeMap(map, frame.width, frame.height);
  const heat = colorizeMap(fitted, { range, colormap: opts.colormap ?? 'turbo' });
  const out = new Uint8Array(frame.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round((1 - alpha) * frame.data[i]! + alpha * heat.data[i]!);
  return { width: frame.width, height: frame.height, channels: 3, data: out };
}

export async function overlayPng(frame: RgbImage, map: FloatMap, opts: OverlayOptions = {}): Promise<Buffer> {
  return encodePng(overlayHeatmap(frame, map, opts));
}

export async function overlayJpeg(
  frame: RgbImage,
  map: FloatMap,
  opts: OverlayOptions & JpegOptions = {},
): Promise<Buffer> {
  return encodeJpeg(overlayHeatmap(frame, map, opts), opts.quality === undefined ? {} : { quality: opts.quality });
}
