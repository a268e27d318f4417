/**
 * Threshold calibration from normal scores only (the usual case right after training: no labelled anomalies yet).
 *
 * Quantile rule (documented because results differ by method): linear interpolation between order statistics,
 * i.e. Hyndman–Fan type 7 / numpy's default `linear`: sort ascending x[0..n-1], h = (n − 1)·q,
 * Q(q) = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). Q(0) is the minimum, Q(1) the maximum.
 */
import { MetricsError, MetricsErrorCodes } from './errors.js';
import { wilson, type Interval } from './intervals.js';
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

export interface CountedCalibrationOptions extends CalibrationOptions {
  /** Fewer normal scores than this: refuse (LW_METRICS_NOT_ENOUGH_DATA) instead of returning a threshold. */
  readonly minNormals: number;
  /** Confidence of the reported false-alarm interval, default 0.95. */
  readonly confidence?: number;
}

export interface CountedCalibration {
  readonly threshold: number;
  /** normal scores the threshold was taken from */
  readonly normals: number;
  /** Normals at or above the threshold, their rate and its Wilson interval (the rate the line should expect). */
  readonly falseAlarms: number;
  readonly falseAlarmRate: number;
  readonly falseAlarmInterval: Interval;
  readonly confidence: number;
}

/**
 * calibrateThreshold with a floor on the evidence: at least `minNormals` normal scores, and the false-alarm rate at
 * the threshold reported with its Wilson interval — with 50 normals, "0 of 50" still means up to ≈ 7 % at 95 %.
 */
export function calibrateCounted(
  normalScores: ArrayLike<number>,
  options: CountedCalibrationOptions,
): CountedCalibration {
  const n = normalScores.length;
  if (!(Number.isInteger(options.minNormals) && options.minNormals >= 1))
    throw new MetricsError(
      MetricsErrorCodes.BAD_ARGUMENT,
      `minNormals must be an integer ≥ 1, got ${options.minNormals}`,
    );
  if (n < options.minNormals)
    throw new MetricsError(
      MetricsErrorCodes.NOT_ENOUGH_DATA,
      `not enough normal frames: ${n} of ${options.minNormals}`,
      {
        normals: n,
        needed: options.minNormals,
      },
    );
  const threshold = calibrateThreshold(normalScores, options);
  let falseAlarms = 0;
  for (let i = 0; i < n; i++) if (normalScores[i]! >= threshold) falseAlarms++;
  const confidence = options.confidence ?? 0.95;
  return {
    threshold,
    normals: n,
    falseAlarms,
    falseAlarmRate: falseAlarms / n,
    falseAlarmInterval: wilson(falseAlarms, n, confidence),
    confidence,
  };
}
