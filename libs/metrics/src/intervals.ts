/**
 * Confidence intervals for rates and for the paired difference of two rates, and the verdict a comparison draws
 * from an interval. Used to judge a candidate model against its parent on a few dozen held-out items, where the
 * point difference alone is noise.
 *
 * - `wilson(k, n)`: Wilson score interval for a binomial proportion (never outside [0, 1], sensible at k = 0).
 * - `pairedRateDifference(...)`: Newcombe's hybrid score interval for the difference of two proportions measured on
 *   the SAME items (Newcombe 1998, "Improved confidence intervals for the difference between binomial proportions
 *   based on paired data", method 10), built from the two Wilson intervals and the phi correlation of the pairs.
 */
import { MetricsError, MetricsErrorCodes } from './errors.js';

export interface Interval {
  readonly lo: number;
  readonly hi: number;
}

/**
 * Standard normal quantile Φ⁻¹(p) (Acklam's rational approximation, relative error < 1.2e-9 — far below what a
 * confidence level needs).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1))
    throw new MetricsError(MetricsErrorCodes.BAD_ARGUMENT, `probability must be in (0, 1), got ${p}`, { p });
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Two-sided z for a confidence level, e.g. 0.95 → 1.95996. */
export function zFor(confidence: number): number {
  if (!(confidence > 0 && confidence < 1))
    throw new MetricsError(MetricsErrorCodes.BAD_ARGUMENT, `confidence must be in (0, 1), got ${confidence}`, {
      confidence,
    });
  return normalQuantile(1 - (1 - confidence) / 2);
}

function checkCounts(k: number, n: number): void {
  if (!(Number.isInteger(k) && Number.isInteger(n) && k >= 0 && n >= 1 && k <= n))
    throw new MetricsError(MetricsErrorCodes.BAD_ARGUMENT, `need integers 0 ≤ k ≤ n, n ≥ 1; got k=${k}, n=${n}`, {
      k,
      n,
    });
}

/** Wilson score interval for k successes in n trials. */
export function wilson(k: number, n: number, confidence = 0.95): Interval {
  checkCounts(k, n);
  const z = zFor(confidence);
  const p = k / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  // Exact ends at k = 0 / k = n (rounding would leave 1e-17 instead of 0).
  return { lo: k === 0 ? 0 : Math.max(0, centre - half), hi: k === n ? 1 : Math.min(1, centre + half) };
}

/** Outcome of each item under two models: true = the item was flagged (e.g. a false alarm on a normal frame). */
export interface PairedOutcomes {
  readonly first: ArrayLike<boolean>;
  readonly second: ArrayLike<boolean>;
}

export interface RateDifference extends Interval {
  /** first rate − second rate */
  readonly diff: number;
  readonly first: Interval & { readonly k: number };
  readonly second: Interval & { readonly k: number };
  readonly n: number;
}

/** Newcombe's method 10 interval for p₁ − p₂ on paired items (with the continuity-corrected phi). */
export function pairedRateDifference(o: PairedOutcomes, confidence = 0.95): RateDifference {
  const n = o.first.length;
  if (n !== o.second.length)
    throw new MetricsError(MetricsErrorCodes.LENGTH_MISMATCH, `${n} vs ${o.second.length} paired outcomes`);
  if (n === 0) throw new MetricsError(MetricsErrorCodes.EMPTY, 'no paired outcomes');
  let a = 0; // both flagged
  let b = 0; // first only
  let c = 0; // second only
  for (let i = 0; i < n; i++) {
    const x = o.first[i];
    const y = o.second[i];
    if (x && y) a++;
    else if (x) b++;
    else if (y) c++;
  }
  const d = n - a - b - c;
  const k1 = a + b;
  const k2 = a + c;
  const p1 = k1 / n;
  const p2 = k2 / n;
  const w1 = wilson(k1, n, confidence);
  const w2 = wilson(k2, n, confidence);
  const denom = Math.sqrt((a + b) * (c + d) * (a + c) * (b + d));
  const ad = a * d;
  const bc = b * c;
  // Newcombe's correction shrinks a positive phi by n/2 (a continuity correction); phi = 0 when a margin is empty.
  const phi = denom === 0 ? 0 : (ad > bc ? Math.max(ad - bc - n / 2, 0) : ad - bc) / denom;
  const lower = Math.sqrt((p1 - w1.lo) ** 2 - 2 * phi * (p1 - w1.lo) * (w2.hi - p2) + (w2.hi - p2) ** 2);
  const upper = Math.sqrt((w1.hi - p1) ** 2 - 2 * phi * (w1.hi - p1) * (p2 - w2.lo) + (p2 - w2.lo) ** 2);
  const diff = p1 - p2;
  return {
    diff,
    lo: Math.max(-1, diff - lower),
    hi: Math.min(1, diff + upper),
    first: { ...w1, k: k1 },
    second: { ...w2, k: k2 },
    n,
  };
}

/** What an interval for (candidate − reference) says. */
export type ComparisonVerdict = 'better' | 'not-worse' | 'worse' | 'not-enough-data';

/**
 * The verdict of an interval for candidate − reference, with `margin` the tolerated loss (non-inferiority margin):
 * better when the whole interval is on the good side of 0; not worse when it excludes a loss beyond the margin;
 * worse when the whole interval is on the bad side of 0 and a loss beyond the margin cannot be excluded; otherwise
 * the interval is too wide to tell (not enough data). `higherIsBetter` false flips the sides (false-alarm rates).
 */
export function judgeDifference(i: Interval, margin: number, higherIsBetter: boolean): ComparisonVerdict {
  if (!(margin >= 0))
    throw new MetricsError(MetricsErrorCodes.BAD_ARGUMENT, `margin must be ≥ 0, got ${margin}`, { margin });
  const lo = higherIsBetter ? i.lo : -i.hi;
  const hi = higherIsBetter ? i.hi : -i.lo;
  if (lo > 0) return 'better';
  if (lo >= -margin) return 'not-worse';
  if (hi < 0) return 'worse';
  return 'not-enough-data';
}
