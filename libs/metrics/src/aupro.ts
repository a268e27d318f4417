/**
 * AUPRO (MVTec AD definition). For a threshold t, the per-region overlap of ground-truth component C is
 * |{p ∈ C : score(p) >= t}| / |C|; PRO(t) is its mean over all components (8-connectivity) of all masks. FPR(t) is the
 * fraction of normal pixels (mask = 0, over all images) with score >= t. The PRO-vs-FPR curve, starting at (0, 0)
 * and with one point per distinct score, is integrated with the trapezoid rule up to `maxFpr` (linear interpolation
 * at the limit) and divided by `maxFpr`, so a perfect detector scores 1.
 */
import { labelComponents } from './components.js';
import { MetricsError, MetricsErrorCodes } from './errors.js';
import { keyToFloat, keysOf, radixSortKeys } from './sort.js';
import { checkNoNaN, requireBothClasses } from './validate.js';

export interface MapWithMask {
  /** Anomaly scores, row-major, width×height (at mask resolution). */
  readonly scores: Float32Array;
  /** Ground truth, 0 = normal, non-zero = anomalous; all zeros for normal images. */
  readonly mask: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface ProOptions {
  /** Upper FPR integration limit, default 0.3. */
  readonly maxFpr?: number;
}

export interface ProCurve {
  readonly fpr: number[];
  readonly pro: number[];
  /** Threshold of each point (score >= threshold is anomalous); +Infinity for the (0, 0) origin. */
  readonly thresholds: number[];
}

interface Prepared {
  keys: Uint32Array;
  ids: Uint32Array;
  invSize: Float64Array;
  components: number;
  normals: number;
}

function prepare(samples: readonly MapWithMask[]): Prepared {
  if (samples.length === 0) throw new MetricsError(MetricsErrorCodes.EMPTY, 'no maps given');
  let total = 0;
  samples.forEach((s, i) => {
    if (s.scores.length !== s.width * s.height || s.mask.length !== s.width * s.height) {
      throw new MetricsError(
        MetricsErrorCodes.LENGTH_MISMATCH,
        `sample ${i}: scores ${s.scores.length} / mask ${s.mask.length} values, expected ${s.width}×${s.height}`,
        { index: i, scores: s.scores.length, mask: s.mask.length, width: s.width, height: s.height },
      );
    }
    checkNoNaN(s.scores, `samples[${i}].scores`);
    total += s.scores.length;
  });
  const keys = new Uint32Array(total);
  const ids = new Uint32Array(total); // 0 = normal pixel, k = global component id
  const invSizes: number[] = [0];
  let normals = 0;
  let offset = 0;
  for (const s of samples) {
    keysOf(s.scores, keys.subarray(offset, offset + s.scores.length));
    const comp = labelComponents(s.mask, s.width, s.height);
    const base = invSizes.length - 1;
    for (let c = 1; c <= comp.count; c++) invSizes.push(1 / comp.sizes[c]!);
    const labels = comp.labels;
    for (let p = 0; p < labels.length; p++) {
      const l = labels[p]!;
      if (l === 0) normals++;
      else ids[offset + p] = base + l;
    }
    offset += s.scores.length;
  }
  const components = invSizes.length - 1;
  requireBothClasses(components, normals, 'masks (anomalous regions / normal pixels)');
  return { keys, ids, invSize: Float64Array.from(invSizes), components, normals };
}

function checkMaxFpr(maxFpr: number): void {
  if (!(maxFpr > 0 && maxFpr <= 1)) {
    throw new MetricsError(MetricsErrorCodes.BAD_ARGUMENT, `maxFpr must be in (0, 1], got ${maxFpr}`, { maxFpr });
  }
}

/** Walks the PRO curve from the top score down, stopping at maxFpr; returns the raw (unnormalised) area. */
function walk(p: Prepared, maxFpr: number, onPoint?: (fpr: number, pro: number, threshold: number) => void): number {
  radixSortKeys(p.keys, p.ids);
  const { keys, ids, invSize } = p;
  let prevFpr = 0;
  let prevPro = 0;
  let fp = 0;
  let proSum = 0;
  let area = 0;
  let i = keys.length - 1;
  while (i >= 0) {
    const k = keys[i]!;
    // One tied group: all pixels with the same score enter together.
    while (i >= 0 && keys[i] === k) {
      const id = ids[i]!;
      if (id === 0) fp++;
      else proSum += invSize[id]!;
      i--;
    }
    const fpr = fp / p.normals;
    const pro = Math.min(1, proSum / p.components); // clip float drift, as the reference implementation does
    if (fpr >= maxFpr) {
      const proAtLimit = fpr === prevFpr ? pro : prevPro + ((pro - prevPro) * (maxFpr - prevFpr)) / (fpr - prevFpr);
      area += ((maxFpr - prevFpr) * (prevPro + proAtLimit)) / 2;
      onPoint?.(maxFpr, proAtLimit, keyToFloat(k));
      return area;
    }
    area += ((fpr - prevFpr) * (prevPro + pro)) / 2;
    onPoint?.(fpr, pro, keyToFloat(k));
    prevFpr = fpr;
    prevPro = pro;
  }
  return area; // unreachable in practice: the final FPR is 1 >= maxFpr
}

/** Normalised area under the PRO curve up to `maxFpr` (default 0.3), in [0, 1]. */
export function aupro(samples: readonly MapWithMask[], options: ProOptions = {}): number {
  const maxFpr = options.maxFpr ?? 0.3;
  checkMaxFpr(maxFpr);
  return walk(prepare(samples), maxFpr) / maxFpr;
}

/** The PRO curve up to `maxFpr` (default 1: the whole curve), for plotting. The last point is interpolated. */
export function proCurve(samples: readonly MapWithMask[], options: ProOptions = {}): ProCurve {
  const maxFpr = options.maxFpr ?? 1;
  checkMaxFpr(maxFpr);
  const fpr: number[] = [0];
  const pro: number[] = [0];
  const thresholds: number[] = [Infinity];
  walk(prepare(samples), maxFpr, (f, p, t) => {
    fpr.push(f);
    pro.push(p);
    thresholds.push(t);
  });
  return { fpr, pro, thresholds };
}
