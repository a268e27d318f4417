/**
 * Antialiased resampling for model inputs: a separable triangle (bilinear) filter whose support widens with the
 * downscale factor, as PIL's `BILINEAR` and torchvision's `antialias=True` do. Plain bilinear sampling reads only the
 * 2×2 nearest source pixels, so shrinking a 600-pixel frame to 128 aliases fine texture into noise that the frozen
 * backbone then reports as anomalies; averaging over the footprint of each output pixel does not.
 *
 * Two passes (horizontal into a float scratch buffer, then vertical), with tables and scratch cached for the last
 * frame geometry so the agent's steady state allocates nothing.
 */
export interface FilterTable {
  /** First source index per destination index. */
  readonly start: Int32Array;
  /** Number of taps per destination index (≤ taps). */
  readonly count: Int32Array;
  /** taps weights per destination index, normalised to sum to 1. */
  readonly weights: Float32Array;
  readonly taps: number;
}

export function filterTable(src: number, dst: number): FilterTable {
  const scale = src / dst;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // triangle filter: radius 1, stretched when shrinking
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const weights = new Float32Array(dst * taps);
  for (let d = 0; d < dst; d++) {
    const center = (d + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), src);
    let total = 0;
    let n = 0;
    for (let s = lo; s < hi && n < taps; s++, n++) {
      const w = Math.max(0, 1 - Math.abs((s - center + 0.5) / filterScale));
      weights[d * taps + n] = w;
      total += w;
    }
    if (total > 0) for (let k = 0; k < n; k++) weights[d * taps + k]! /= total;
    start[d] = lo;
    count[d] = n;
  }
  return { start, count, weights, taps };
}

let cache: { key: string; x: FilterTable; y: FilterTable; rows: Float32Array } | undefined;

function plan(srcW: number, srcH: number, dstW: number, dstH: number) {
  const key = `${srcW}x${srcH}->${dstW}x${dstH}`;
  if (cache?.key !== key) cache = { key, x: filterTable(srcW, dstW), y: filterTable(srcH, dstH), rows: new Float32Array(srcH * dstW * 3) };
  return cache;
}

/**
 * Resamples interleaved 8-bit RGB (`src`, srcW×srcH) to dstW×dstH and hands each output pixel's three interpolated
 * channel values (0..255 floats, source order) to `emit(pixelIndex, r, g, b)`.
 */
export function resampleAntialias(
  src: Uint8Array,
  srcW: number,
  srcH: number,
  dstW: number,
  dstH: number,
  emit: (p: number, v0: number, v1: number, v2: number) => void,
): void {
  const { x, y, rows } = plan(srcW, srcH, dstW, dstH);
  const stride = srcW * 3;
  for (let sy = 0; sy < srcH; sy++) {
    const rowIn = sy * stride;
    const rowOut = sy * dstW * 3;
    for (let dx = 0; dx < dstW; dx++) {
      const s0 = x.start[dx]!, n = x.count[dx]!, wo = dx * x.taps;
      let a = 0, b = 0, c = 0;
      for (let k = 0; k < n; k++) {
        const w = x.weights[wo + k]!;
        const i = rowIn + (s0 + k) * 3;
        a += src[i]! * w;
        b += src[i + 1]! * w;
        c += src[i + 2]! * w;
      }
      const o = rowOut + dx * 3;
      rows[o] = a;
      rows[o + 1] = b;
      rows[o + 2] = c;
    }
  }
  const rowLen = dstW * 3;
  for (let dy = 0; dy < dstH; dy++) {
    const s0 = y.start[dy]!, n = y.count[dy]!, wo = dy * y.taps;
    for (let dx = 0; dx < dstW; dx++) {
      let a = 0, b = 0, c = 0;
      let i = s0 * rowLen + dx * 3;
      for (let k = 0; k < n; k++, i += rowLen) {
        const w = y.weights[wo + k]!;
        a += rows[i]! * w;
        b += rows[i + 1]! * w;
        c += rows[i + 2]! * w;
      }
      emit(dy * dstW + dx, a, b, c);
    }
  }
}
