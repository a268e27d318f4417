/**
 * Model input preparation: bilinear resize + per-channel normalisation into an NCHW float tensor, in one pass.
 * The settings mirror what a model manifest carries, so the agent and the trainer feed models identically.
 *
 * Resize: bilinear with half-pixel centres (align_corners = false, as OpenCV INTER_LINEAR / PyTorch default), no
 * antialiasing. Normalisation per output channel c: (pixel · scale − mean[c]) / std[c]; mean/std are indexed in the
 * OUTPUT channel order (so for 'bgr' give them as B, G, R). Example scales: 1/255 with ImageNet mean/std, or
 * 1/127.5 with mean 1 and std 1 for x/127.5 − 1.
 */
import { badArgument } from './errors.js';
import type { RgbImage } from './image.js';
import { checkImage } from './image.js';
import { resamplePlan, resampleRows } from './resample.js';

export interface PreprocessSettings {
  readonly inputWidth: number;
  readonly inputHeight: number;
  /** One entry per model input channel: 3 for colour models, 1 for grayscale models. */
  readonly mean: readonly [number, number, number] | readonly [number];
  readonly std: readonly [number, number, number] | readonly [number];
  readonly scale: number;
  readonly channelOrder: 'rgb' | 'bgr';
  readonly layout: 'nchw';
  /** Model input channels (default 3). 1 = a single luma plane, BT.601 weights, computed after resizing. */
  readonly channels?: 1 | 3;
  /**
   * 'bilinear' (default): 2×2 taps, no antialiasing. 'antialias': area averaging when shrinking (OpenCV INTER_AREA),
   * bilinear when enlarging; use it whenever frames are larger than the model input.
   */
  readonly resize?: 'bilinear' | 'antialias';
  /**
   * 'stretch' (default): the frame fills the input, aspect ratio lost. 'letterbox': the frame keeps its aspect ratio,
   * centred, and the bands around it take the frame's mean colour; maps come back through {@link mapToImage}.
   */
  readonly fit?: 'stretch' | 'letterbox';
}

/** The preprocessing part of a model-package manifest (protocol's `input` + `normalization`), structurally typed. */
export interface ManifestPreprocessing {
  readonly input: {
    readonly width: number;
    readonly height: number;
    readonly channels: 1 | 3;
    readonly resize?: 'bilinear' | 'antialias';
    readonly fit?: 'stretch' | 'letterbox';
  };
  readonly normalization: {
    readonly mean: readonly number[];
    readonly std: readonly number[];
    readonly scale: number;
    readonly channelOrder: 'RGB' | 'BGR';
  };
}

/** Builds settings from a model manifest so agent and trainer cannot disagree on the recipe. */
export function settingsFromManifest(m: ManifestPreprocessing): PreprocessSettings {
  // The manifest's arrays are plain number[]: validation checks their length against input.channels and narrows.
  const s: PreprocessSettingsInput = {
    inputWidth: m.input.width,
    inputHeight: m.input.height,
    mean: [...m.normalization.mean],
    std: [...m.normalization.std],
    scale: m.normalization.scale,
    channelOrder: m.normalization.channelOrder === 'BGR' ? 'bgr' : 'rgb',
    layout: 'nchw',
    channels: m.input.channels,
    resize: m.input.resize ?? 'bilinear',
    fit: m.input.fit ?? 'stretch',
  };
  validatePreprocessSettings(s);
  return s;
}

/**
 * Bumped whenever `preprocessInto` gives other values for the same image and settings (beyond float rounding), so
 * caches of anything computed from preprocessed frames (the trainer's backbone features) stop matching. A golden
 * test (test/preprocess-revision.test.ts) fails on such a change until its values are updated and this is bumped.
 */
export const PREPROCESS_REVISION = 1;

/** ImageNet normalisation at 256×256, the usual setting for a frozen CNN backbone. */
export const IMAGENET_SETTINGS: PreprocessSettings = Object.freeze({
  inputWidth: 256,
  inputHeight: 256,
  mean: [0.485, 0.456, 0.406] as const,
  std: [0.229, 0.224, 0.225] as const,
  scale: 1 / 255,
  channelOrder: 'rgb' as const,
  layout: 'nchw' as const,
});

/** Settings before validation: mean/std as plain arrays (e.g. from a manifest), not yet checked against channels. */
export type PreprocessSettingsInput = Omit<PreprocessSettings, 'mean' | 'std'> & {
  readonly mean: readonly number[];
  readonly std: readonly number[];
};

/** Throws LW_VISION_BAD_ARGUMENT naming the first bad field. */
export function validatePreprocessSettings(s: PreprocessSettingsInput): asserts s is PreprocessSettings {
  for (const k of ['inputWidth', 'inputHeight'] as const) {
    if (!Number.isInteger(s[k]) || s[k] <= 0 || s[k] > 16384)
      throw badArgument(`settings.${k} must be an integer in 1..16384, got ${s[k]}`);
  }
  const ch = s.channels ?? 3;
  if (ch !== 1 && ch !== 3) throw badArgument(`settings.channels must be 1 or 3, got ${String(ch)}`);
  if (!Array.isArray(s.mean) || s.mean.length !== ch || !s.mean.every(Number.isFinite)) {
    throw badArgument(`settings.mean must be ${ch} finite number(s)`, { mean: s.mean });
  }
  if (!Array.isArray(s.std) || s.std.length !== ch || !s.std.every((v) => Number.isFinite(v) && v !== 0)) {
    throw badArgument(`settings.std must be ${ch} finite non-zero number(s)`, { std: s.std });
  }
  if (!Number.isFinite(s.scale) || s.scale === 0)
    throw badArgument(`settings.scale must be finite and non-zero, got ${s.scale}`);
  if (s.channelOrder !== 'rgb' && s.channelOrder !== 'bgr')
    throw badArgument(`settings.channelOrder must be 'rgb' or 'bgr'`);
  if (s.layout !== 'nchw') throw badArgument(`settings.layout must be 'nchw'`);
  if (s.resize !== undefined && s.resize !== 'bilinear' && s.resize !== 'antialias')
    throw badArgument(`settings.resize must be 'bilinear' or 'antialias'`);
  if (s.fit !== undefined && s.fit !== 'stretch' && s.fit !== 'letterbox')
    throw badArgument(`settings.fit must be 'stretch' or 'letterbox'`);
}

/** Where a frame lands in the model input: the whole input, or (letterbox) the centred rectangle of its aspect ratio. */
export interface ContentRect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export function contentRect(
  frameWidth: number,
  frameHeight: number,
  s: Pick<PreprocessSettings, 'inputWidth' | 'inputHeight' | 'fit'>,
): ContentRect {
  const W = s.inputWidth;
  const H = s.inputHeight;
  if (s.fit !== 'letterbox') return { left: 0, top: 0, width: W, height: H };
  const k = Math.min(W / frameWidth, H / frameHeight);
  const width = Math.min(W, Math.max(1, Math.round(frameWidth * k)));
  const height = Math.min(H, Math.max(1, Math.round(frameHeight * k)));
  return { left: Math.floor((W - width) / 2), top: Math.floor((H - height) / 2), width, height };
}

/** Fills every plane outside `r` with that plane's mean inside it (the frame's mean colour, normalised). */
function fillBands(out: Float32Array, W: number, H: number, C: number, r: ContentRect): void {
  if (r.width === W && r.height === H) return;
  const plane = W * H;
  for (let c = 0; c < C; c++) {
    const o = c * plane;
    let sum = 0;
    for (let y = r.top; y < r.top + r.height; y++)
      for (let x = r.left; x < r.left + r.width; x++) sum += out[o + y * W + x]!;
    const mean = sum / (r.width * r.height);
    for (let y = 0; y < H; y++) {
      const inside = y >= r.top && y < r.top + r.height;
      for (let x = 0; x < W; x++) if (!inside || x < r.left || x >= r.left + r.width) out[o + y * W + x] = mean;
    }
  }
}

/** Tensor shape [1, C, H, W] for the settings. */
export function preprocessShape(s: PreprocessSettings): [1, 1 | 3, number, number] {
  return [1, s.channels ?? 3, s.inputHeight, s.inputWidth];
}

/** Source index pair and weight per destination coordinate (half-pixel centres, clamped at the borders). */
export interface AxisTable {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w: Float32Array;
}

export function axisTable(src: number, dst: number, alignCorners = false): AxisTable {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w = new Float32Array(dst);
  const ratio = alignCorners ? (dst > 1 ? (src - 1) / (dst - 1) : 0) : src / dst;
  for (let d = 0; d < dst; d++) {
    let s = alignCorners ? d * ratio : (d + 0.5) * ratio - 0.5;
    if (s < 0) s = 0;
    if (s > src - 1) s = src - 1;
    const a = Math.floor(s);
    i0[d] = a;
    i1[d] = Math.min(a + 1, src - 1);
    w[d] = s - a;
  }
  return { i0, i1, w };
}

// The agent feeds same-sized frames every time; caching the last tables keeps steady state allocation-free.
let cached: { key: string; x: AxisTable; y: AxisTable } | undefined;
function tablesFor(srcW: number, srcH: number, dstW: number, dstH: number) {
  const key = `${srcW}x${srcH}->${dstW}x${dstH}`;
  if (cached?.key !== key) cached = { key, x: axisTable(srcW, dstW), y: axisTable(srcH, dstH) };
  return cached;
}

/**
 * Per-call constants of the normalisation: output channel c reads source channel `c0`/`c1`/`c2`, and scale/mean/std
 * fold into one multiply-add per value, v·k + b (channels 2 and 3 unused, k = b = 0, for a grayscale model).
 */
interface Affine {
  readonly C: 1 | 3;
  readonly c0: number;
  readonly c1: number;
  readonly c2: number;
  readonly k0: number;
  readonly k1: number;
  readonly k2: number;
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
}

function foldNormalisation(s: PreprocessSettings): Affine {
  const C = s.channels ?? 3;
  const srcC = s.channelOrder === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const std = s.std as readonly number[];
  const mean = s.mean as readonly number[];
  const k0 = s.scale / std[0]!,
    k1 = C === 3 ? s.scale / std[1]! : 0,
    k2 = C === 3 ? s.scale / std[2]! : 0;
  const b0 = -mean[0]! / std[0]!,
    b1 = C === 3 ? -mean[1]! / std[1]! : 0,
    b2 = C === 3 ? -mean[2]! / std[2]! : 0;
  return { C, c0: srcC[0]!, c1: srcC[1]!, c2: srcC[2]!, k0, k1, k2, b0, b1, b2 };
}

/** Where the resized frame goes: output row width W, plane size, and the content rectangle inside the input. */
interface Target {
  readonly W: number;
  readonly plane: number;
  readonly rect: ContentRect;
}

/**
 * Antialiased resize + normalisation: horizontal pass into scratch rows, then the vertical pass writes normalised
 * planes directly. Values arrive in source (R, G, B) order; BGR models take them swapped.
 */
function antialiasInto(out: Float32Array, img: RgbImage, t: Target, f: Affine): void {
  const { W, plane, rect } = t;
  const { C, c0, k0, k1, k2, b0, b1, b2 } = f;
  const RW = rect.width,
    RH = rect.height;
  const plan = resamplePlan(img.width, img.height, RW, RH);
  resampleRows(img.data, img.width, img.height, plan);
  const { y: fy, rows } = plan;
  const rowLen = RW * 3;
  const ia = c0 === 0 ? 0 : 2,
    ic = c0 === 0 ? 2 : 0;
  const wr = 0.299 * k0,
    wg = 0.587 * k0,
    wb = 0.114 * k0;
  for (let dy = 0; dy < RH; dy++) {
    const n = fy.count[dy]!,
      base = fy.start[dy]! * rowLen,
      wo = dy * fy.taps;
    const row = (dy + rect.top) * W + rect.left;
    for (let dx = 0; dx < RW; dx++) {
      let i = base + dx * 3;
      let r = 0,
        g = 0,
        b = 0;
      for (let k = 0; k < n; k++, i += rowLen) {
        const w = fy.weights[wo + k]!;
        r += rows[i]! * w;
        g += rows[i + 1]! * w;
        b += rows[i + 2]! * w;
      }
      const p = row + dx;
      if (C === 1) {
        out[p] = r * wr + g * wg + b * wb + b0;
        continue;
      }
      const v = ia === 0 ? r : b,
        u = ic === 2 ? b : r;
      out[p] = v * k0 + b0;
      out[plane + p] = g * k1 + b1;
      out[2 * plane + p] = u * k2 + b2;
    }
  }
}

/** Bilinear (2×2 taps, half-pixel centres) resize + normalisation straight from the source pixels. */
function bilinearInto(out: Float32Array, img: RgbImage, t: Target, f: Affine): void {
  const { W, plane, rect } = t;
  const { C, c0, c1, c2, k0, k1, k2, b0, b1, b2 } = f;
  const RW = rect.width,
    RH = rect.height;
  const src = img.data;
  const stride = img.width * 3;
  const { x, y } = tablesFor(img.width, img.height, RW, RH);
  for (let oy = 0; oy < RH; oy++) {
    const r0 = y.i0[oy]! * stride;
    const r1 = y.i1[oy]! * stride;
    const wy = y.w[oy]!;
    const row = (oy + rect.top) * W + rect.left;
    for (let ox = 0; ox < RW; ox++) {
      const a = x.i0[ox]! * 3;
      const b = x.i1[ox]! * 3;
      const wx = x.w[ox]!;
      const w00 = (1 - wx) * (1 - wy),
        w01 = wx * (1 - wy),
        w10 = (1 - wx) * wy,
        w11 = wx * wy;
      const p = row + ox;
      const v0 = src[r0 + a + c0]! * w00 + src[r0 + b + c0]! * w01 + src[r1 + a + c0]! * w10 + src[r1 + b + c0]! * w11;
      const v1 = src[r0 + a + c1]! * w00 + src[r0 + b + c1]! * w01 + src[r1 + a + c1]! * w10 + src[r1 + b + c1]! * w11;
      const v2 = src[r0 + a + c2]! * w00 + src[r0 + b + c2]! * w01 + src[r1 + a + c2]! * w10 + src[r1 + b + c2]! * w11;
      if (C === 1) {
        // Luma of the interpolated RGB (order-independent: v0..v2 are R,G,B or B,G,R, weights follow srcC).
        const luma = c0 === 0 ? 0.299 * v0 + 0.587 * v1 + 0.114 * v2 : 0.114 * v0 + 0.587 * v1 + 0.299 * v2;
        out[p] = luma * k0 + b0;
        continue;
      }
      out[p] = v0 * k0 + b0;
      out[plane + p] = v1 * k1 + b1;
      out[2 * plane + p] = v2 * k2 + b2;
    }
  }
}

/** Writes the normalised NCHW tensor for `img` into `out` (length C·H·W) and returns it. Allocates no buffers. */
export function preprocessInto(out: Float32Array, img: RgbImage, s: PreprocessSettings): Float32Array {
  validatePreprocessSettings(s);
  checkImage(img);
  const W = s.inputWidth;
  const H = s.inputHeight;
  const plane = W * H;
  const C = s.channels ?? 3;
  if (out.length !== C * plane)
    throw badArgument(`output buffer has ${out.length} floats, expected ${C}×${H}×${W}`, { length: out.length });
  const rect = contentRect(img.width, img.height, s);
  const target: Target = { W, plane, rect };
  if (s.resize === 'antialias') antialiasInto(out, img, target, foldNormalisation(s));
  else bilinearInto(out, img, target, foldNormalisation(s));
  fillBands(out, W, H, C, rect);
  return out;
}

/** Allocating variant of {@link preprocessInto}. */
export function preprocess(img: RgbImage, s: PreprocessSettings): Float32Array {
  validatePreprocessSettings(s);
  return preprocessInto(new Float32Array((s.channels ?? 3) * s.inputWidth * s.inputHeight), img, s);
}

/** Bilinear resize of an RGB image (same sampling as preprocess), e.g. for report thumbnails. */
export function resizeImage(img: RgbImage, width: number, height: number): RgbImage {
  checkImage(img);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw badArgument(`target size must be positive integers, got ${width}×${height}`);
  }
  const x = axisTable(img.width, width);
  const y = axisTable(img.height, height);
  const out = new Uint8Array(width * height * 3);
  const src = img.data;
  const stride = img.width * 3;
  for (let oy = 0; oy < height; oy++) {
    const r0 = y.i0[oy]! * stride,
      r1 = y.i1[oy]! * stride,
      wy = y.w[oy]!;
    for (let ox = 0; ox < width; ox++) {
      const a = x.i0[ox]! * 3,
        b = x.i1[ox]! * 3,
        wx = x.w[ox]!;
      const o = (oy * width + ox) * 3;
      for (let c = 0; c < 3; c++) {
        const top = src[r0 + a + c]! + (src[r0 + b + c]! - src[r0 + a + c]!) * wx;
        const bot = src[r1 + a + c]! + (src[r1 + b + c]! - src[r1 + a + c]!) * wx;
        out[o + c] = Math.round(top + (bot - top) * wy);
      }
    }
  }
  return { width, height, channels: 3, data: out };
}
