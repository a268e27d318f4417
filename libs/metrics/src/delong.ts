/**
 * DeLong's test for two correlated AUROCs (DeLong, DeLong & Clarke-Pearson 1988): both models scored the same
 * items, so the variance of A₁ − A₂ comes from the structural components of each item:
 *
 *   V10ₖ(i) = mean over normals j of ψ(Xₖᵢ, Yₖⱼ)   (anomalous item i),   V01ₖ(j) = mean over anomalous i of ψ(Xₖᵢ, Yₖⱼ)
 *   ψ(x, y) = 1 if x > y, ½ if x = y, 0 otherwise;  Aₖ = mean V10ₖ = mean V01ₖ
 *   Var(A₁ − A₂) = (S10₁₁ + S10₂₂ − 2·S10₁₂)/m + (S01₁₁ + S01₂₂ − 2·S01₁₂)/n
 *
 * with S the sample covariances (denominator m − 1 / n − 1) of the components across items. Components come from
 * sorted scores and binary search, so it is O((m + n) log(m + n)) rather than O(m·n).
 */
import { MetricsError, MetricsErrorCodes } from './errors.js';
import { zFor, type Interval } from './intervals.js';
import { checkNoNaN, checkPair, requireBothClasses, type Labels, type Scores } from './validate.js';

/** Number of values in sorted `xs` strictly below v, and equal to v. */
function rank(xs: Float64Array, v: number): { below: number; equal: number } {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < xs.length && xs[end] === v) end++;
  return { below: lo, equal: end - lo };
}

/** Structural components of one model's scores: V10 per anomalous item, V01 per normal item. */
export function delongComponents(scores: Scores, labels: Labels): { v10: number[]; v01: number[]; auroc: number } {
  checkPair(scores, labels);
  checkNoNaN(scores);
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < scores.length; i++) (labels[i] ? pos : neg).push(scores[i]!);
  requireBothClasses(pos.length, neg.length);
  const sortedPos = Float64Array.from(pos).sort();
  const sortedNeg = Float64Array.from(neg).sort();
  const v10 = pos.map((x) => {
    const r = rank(sortedNeg, x);
    return (r.below + r.equal / 2) / neg.length;
  });
  const v01 = neg.map((y) => {
    const r = rank(sortedPos, y);
    return (pos.length - r.below - r.equal + r.equal / 2) / pos.length;
  });
  return { v10, v01, auroc: v10.reduce((s, v) => s + v, 0) / pos.length };
}

function covariance(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  if (n < 2) return 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[i]! - ma) * (b[i]! - mb);
  return s / (n - 1);
}

export interface AurocDifference extends Interval {
  /** AUROC of the first scores and of the second on the same items. */
  readonly first: number;
  readonly second: number;
  /** first − second */
  readonly diff: number;
  /** DeLong standard error of the difference. */
  readonly se: number;
  readonly confidence: number;
  /** anomalous (m) and normal (n) items */
  readonly anomalous: number;
  readonly normal: number;
}

/** DeLong interval for AUROC(first) − AUROC(second), both scored on the same labelled items. */
export function delongDifference(first: Scores, second: Scores, labels: Labels, confidence = 0.95): AurocDifference {
  if (first.length !== second.length)
    throw new MetricsError(MetricsErrorCodes.LENGTH_MISMATCH, `${first.length} vs ${second.length} paired scores`);
  const c1 = delongComponents(first, labels);
  const c2 = delongComponents(second, labels);
  const m = c1.v10.length;
  const n = c1.v01.length;
  const s10 = covariance(c1.v10, c1.v10) + covariance(c2.v10, c2.v10) - 2 * covariance(c1.v10, c2.v10);
  const s01 = covariance(c1.v01, c1.v01) + covariance(c2.v01, c2.v01) - 2 * covariance(c1.v01, c2.v01);
  // Rounding can leave −1e-18 for identical models.
  const se = Math.sqrt(Math.max(0, s10 / m + s01 / n));
  const diff = c1.auroc - c2.auroc;
  const z = zFor(confidence);
  return {
    first: c1.auroc,
    second: c2.auroc,
    diff,
    se,
    lo: Math.max(-1, diff - z * se),
    hi: Math.min(1, diff + z * se),
    confidence,
    anomalous: m,
    normal: n,
  };
}
