/**
 * Antialiased resampling for model inputs. Shrinking averages the source area each output pixel covers (a box filter
 * as wide as the scale factor, fractional at its ends: OpenCV's INTER_AREA); enlarging is plain bilinear (a triangle
 * filter of radius 1). Plain 2×2 bilinear sampling when shrinking a 600-pixel frame to 128 reads a fifth of the
 * pixels and aliases fine texture into noise that the frozen backbone reports as anomalies; area averaging reads each
 * source pixel once, so it is also the cheapest correct filter: 640×480 → 128×96 (a letterboxed 128×128 input) with
 * normalisation takes ≈ 1.5 ms in JS on the reference machine, 1.8 ms before the box path below.
 *
 * Two passes (horizontal into a float scratch buffer, then vertical), tables and scratch cached for the last frame
 * geometry so the agent's steady state allocates nothing. (Vertical first, over whole source rows, measured slower:
 * 1.6 ms.)
 */
export interface FilterTable {
  /** First source index per destination index. */
  readonly start: Int32Array;
  /** Number of taps per destination index (≤ taps). */
  readonly count: Int32Array;
  /** `taps` weights per destination index, normalised to sum to 1. */
  readonly weights: Float32Array;
  readonly taps: number;
  /** Shrinking: every tap but the first and last has the same weight (a box with fractional ends). */
  readonly box: boolean;
}

export function filterTable(src: number, dst: number): FilterTable {
  const scale = src / dst;
  const shrink = scale > 1;
  const taps = shrink ? Math.ceil(scale) + 2 : 2;
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const weights = new Float32Array(dst * taps);
  for (let d = 0; d < dst; d++) {
    let lo: number;
    let n = 0;
    let total = 0;
    if (shrink) {
      // Footprint [a, b) in source pixel units; source pixel s covers [s, s + 1).
      const a = d * scale;
      const b = Math.min((d + 1) * scale, src);
      lo = Math.floor(a);
      for (let s = lo; s < b && n < taps; s++, n++) {
        const w = Math.min(s + 1, b) - Math.max(s, a);
        weights[d * taps + n] = w;
        total += w;
      }
    } else {
      // Bilinear with half-pixel centres, clamped at the borders.
      const c = Math.min(Math.max((d + 0.5) * scale - 0.5, 0), src - 1);
      lo = Math.floor(c);
      const f = c - lo;
      weights[d * taps] = 1 - f;
      total = 1;
      n = 1;
      if (lo + 1 < src) {
        weights[d * taps + 1] = f;
        n = 2;
      }
    }
    if (total > 0) for (let k = 0; k < n; k++) weights[d * taps + k]! /= total;
    start[d] = lo;
    count[d] = n;
  }
  return { start, count, weights, taps, box: shrink };
}

export interface ResamplePlan {
  readonly x: FilterTable;
  readonly y: FilterTable;
  /** Horizontal pass output: srcH rows × dstW pixels × 3 channels. */
  readonly rows: Float32Array;
}

let cache: { key: string; plan: ResamplePlan } | undefined;

export function resamplePlan(srcW: number, srcH: number, dstW: number, dstH: number): ResamplePlan {
  const key = `${srcW}x${srcH}->${dstW}x${dstH}`;
  if (cache?.key !== key)
    cache = {
      key,
      plan: { x: filterTable(srcW, dstW), y: filterTable(srcH, dstH), rows: new Float32Array(srcH * dstW * 3) },
    };
  return cache.plan;
}

/** Horizontal pass: interleaved 8-bit RGB (srcW×srcH) → plan.rows (srcH × dstW × 3 floats). */
export function resampleRows(src: Uint8Array, srcW: number, srcH: number, plan: ResamplePlan): void {
  const { x, rows } = plan;
  const { start, count, weights, taps, box } = x;
  const dstW = start.length;
  const stride = srcW * 3;
  for (let sy = 0; sy < srcH; sy++) {
    const rowIn = sy * stride;
    let o = sy * dstW * 3;
    for (let dx = 0; dx < dstW; dx++, o += 3) {
      const n = count[dx]!;
      let i = rowIn + start[dx]! * 3;
      const wo = dx * taps;
      let a: number, b: number, c: number;
      if (box && n > 2) {
        // The hot path (frames are several times the model input): sum the interior pixels as integers and weigh
        // them once (this pass 1.44 → 1.15 ms at 640×480 → 128×96, against a multiply per tap).
        const w0 = weights[wo]!;
        a = src[i]! * w0;
        b = src[i + 1]! * w0;
        c = src[i + 2]! * w0;
        let sa = 0,
          sb = 0,
          sc = 0;
        i += 3;
        for (let k = 2; k < n; k++, i += 3) {
          sa += src[i]!;
          sb += src[i + 1]!;
          sc += src[i + 2]!;
        }
        const wm = weights[wo + 1]!,
          wl = weights[wo + n - 1]!;
        a += sa * wm + src[i]! * wl;
        b += sb * wm + src[i + 1]! * wl;
        c += sc * wm + src[i + 2]! * wl;
      } else {
        a = 0;
        b = 0;
        c = 0;
        for (let k = 0; k < n; k++, i += 3) {
          const w = weights[wo + k]!;
          a += src[i]! * w;
          b += src[i + 1]! * w;
          c += src[i + 2]! * w;
        }
      }
      rows[o] = a;
      rows[o + 1] = b;
      rows[o + 2] = c;
    }
  }
}
