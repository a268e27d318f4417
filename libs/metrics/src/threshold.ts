/**
 * Threshold calibration from normal scores only (the usual case right after training: no labelled anomalies yet).
 *
 * Quantile rule (documented because results differ by method): linear interpolation between order statistics,
 * i.e. Hyndman–Fan type 7 / numpy's default `linear`: sort ascending x[0..n-1], h = (n − 1)·q,
 * Q(q) = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). Q(0) is the minimum, Q(1) the maximum.
 */
import { MetricsError, MetricsErrorCodes } from './errors.js';
import { checkNoNaN } from './validate.js';

export function quantile(values: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1))
    throw new MetricsError(MetricsErrorCodes.BAD_ARGUMENT, `quantile must be in [0, 1], got ${q}`, { q });
  if (values.length === 0) throw new MetricsError(MetricsErrorCodes.EMPTY, 'no values to take a quantile of');
  checkNoNaN(values, 'values');
  const sorted = Float64Array.from(values).sort();
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  if (lo + 1 >= sorted.length) return a;
  return a + (h - lo) * (sorted[lo + 1]! - a);
}

export interface CalibrationOptions {
  /** Quantile of the normal scores, default 0.995 (≈ 0.5 % false alarms on data like the calibration set). */
  readonly quantile?: number;
  /** Multiplied onto the quantile, default 1; >1 trades recall for fewer false alarms. */
  readonly margin?: number;
}

/** Threshold such that about (1 − quantile) of normal samples score at or above it. */
export function calibrateThreshold(normalScores: ArrayLike<number>, options: CalibrationOptions = {}): number {
  const margin = options.margin ?? 1;
  if (!(Number.isFinite(margin) && margin > 0)) {
    throw new MetricsError(MetricsErrorCodes.BAD_ARGUMENT, `margin must be a positive number, got ${margin}`, {
      margin,
    });
  }
  return quantile(normalScores, options.quantile ?? 0.995) * margin;
}
