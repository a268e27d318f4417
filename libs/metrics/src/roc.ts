/**
 * ROC curve and exact AUROC. AUROC is the trapezoid area under the ROC curve built from tied-score groups, which
 * equals the Mann–Whitney U statistic / (P·N) with ties counted as ½. All sums are integers or half-integers below
 * 2^53, so the result is exact (up to the final division) for any realistic pixel count.
 */
import { MetricsError, MetricsErrorCodes } from './errors.js';
import { scanGroups } from './groups.js';
import type { Labels, Scores } from './validate.js';
import { requireBothClasses } from './validate.js';

export interface RocCurve {
  /** False-positive rate at each threshold (non-decreasing, starts at 0, ends at 1). */
  readonly fpr: number[];
  /** True-positive rate at each threshold. */
  readonly tpr: number[];
  /** Threshold: a sample is called anomalous when score >= threshold. The first point uses +Infinity. */
  readonly thresholds: number[];
}

/** Area under the ROC curve of pooled score/label chunks; throws LW_METRICS_SINGLE_CLASS when one class is missing. */
function aurocOfChunks(scoreChunks: readonly Scores[], labelChunks: readonly Labels[]): number {
  let tp = 0;
  let area2 = 0; // twice the Mann–Whitney U: integer arithmetic, no halves until the end
  const totals = scanGroups(scoreChunks, labelChunks, () => (_t, p, n) => {
    area2 += n * (2 * tp + p);
    tp += p;
  });
  requireBothClasses(totals.positives, totals.negatives);
  return area2 / (2 * totals.positives * totals.negatives);
}

/** Image-level AUROC (exact, ties = ½). `labels`: 0 normal, non-zero/true anomalous. */
export function auroc(scores: Scores, labels: Labels): number {
  return aurocOfChunks([scores], [labels]);
}

/** Alias of {@link auroc} named for evaluation reports. */
export const imageAuroc = auroc;

/**
 * Pixel-level AUROC at input resolution, exact. Pass one Float32Array/Uint8Array pair for all pixels or one pair per
 * image. Float32Array scores use a radix sort: ~15 M pixels in well under a second on one core (see README bench).
 */
export function pixelAuroc(
  scores: Float32Array | readonly Float32Array[],
  labels: Uint8Array | readonly Uint8Array[],
): number {
  const s = scores instanceof Float32Array ? [scores] : scores;
  const l = labels instanceof Uint8Array ? [labels] : labels;
  return aurocOfChunks(s, l);
}

export interface RocOptions {
  /**
   * Thin the curve for plotting: a point is kept once FPR or TPR has moved by at least 1/maxPoints since the last
   * kept point (the final point is always kept), so the curve stays within 1/maxPoints of the exact one in both axes.
   * Default: every distinct score (exact).
   */
  readonly maxPoints?: number;
}

function curveOfChunks(scoreChunks: readonly Scores[], labelChunks: readonly Labels[], opts: RocOptions): RocCurve {
  const fpr: number[] = [0];
  const tpr: number[] = [0];
  const thresholds: number[] = [Infinity];
  const maxPoints = opts.maxPoints ?? Infinity;
  if (!(maxPoints >= 2))
    throw new MetricsError(MetricsErrorCodes.BAD_ARGUMENT, `maxPoints must be >= 2, got ${maxPoints}`, { maxPoints });
  const step = 1 / maxPoints;
  let last = { t: Infinity, f: 0, p: 0 };
  const totals = scanGroups(scoreChunks, labelChunks, ({ positives, negatives }) => {
    requireBothClasses(positives, negatives);
    let tp = 0;
    let fp = 0;
    return (t, p, n) => {
      tp += p;
      fp += n;
      const f = fp / negatives;
      const r = tp / positives;
      last = { t, f, p: r };
      if (f - fpr.at(-1)! >= step || r - tpr.at(-1)! >= step) {
        fpr.push(f);
        tpr.push(r);
        thresholds.push(t);
      }
    };
  });
  requireBothClasses(totals.positives, totals.negatives);
  if (thresholds.at(-1) !== last.t) {
    fpr.push(last.f);
    tpr.push(last.p);
    thresholds.push(last.t);
  }
  return { fpr, tpr, thresholds };
}

/**
 * ROC points, one per distinct score (ties form a single diagonal step), preceded by (0, 0) at threshold +Infinity.
 * Pass `maxPoints` to thin long curves for plotting.
 */
export function rocCurve(scores: Scores, labels: Labels, opts: RocOptions = {}): RocCurve {
  return curveOfChunks([scores], [labels], opts);
}

/** ROC curve over pixels (same inputs as pixelAuroc); `maxPoints` defaults to 1000 since maps have millions of pixels. */
export function pixelRocCurve(
  scores: Float32Array | readonly Float32Array[],
  labels: Uint8Array | readonly Uint8Array[],
  opts: RocOptions = {},
): RocCurve {
  const s = scores instanceof Float32Array ? [scores] : scores;
  const l = labels instanceof Uint8Array ? [labels] : labels;
  return curveOfChunks(s, l, { maxPoints: opts.maxPoints ?? 1000 });
}
