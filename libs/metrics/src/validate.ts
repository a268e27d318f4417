/** Input checks shared by the metric functions. */
import { MetricsError, MetricsErrorCodes } from './errors.js';

/** Scores: any numeric array. Float32Array input takes the fast radix path in pixel-scale functions. */
export type Scores = ArrayLike<number>;
/** Labels: 0 = normal, any non-zero (or `true`) = anomalous. */
export type Labels = ArrayLike<number> | ArrayLike<boolean>;

export function checkPair(scores: Scores, labels: Labels, what = 'scores'): void {
  if (scores.length !== labels.length) {
    throw new MetricsError(
      MetricsErrorCodes.LENGTH_MISMATCH,
      `${what} has ${scores.length} values but labels has ${labels.length}`,
      {
        scores: scores.length,
        labels: labels.length,
      },
    );
  }
  if (scores.length === 0) throw new MetricsError(MetricsErrorCodes.EMPTY, `${what} is empty`);
}

export function checkNoNaN(scores: Scores, what = 'scores'): void {
  for (let i = 0; i < scores.length; i++) {
    // NaN is the only value not equal to itself; ±Infinity orders fine and is allowed.
    if (scores[i] !== scores[i]) {
      throw new MetricsError(MetricsErrorCodes.NON_FINITE, `${what}[${i}] is NaN`, { index: i });
    }
  }
}

export function requireBothClasses(positives: number, negatives: number, what = 'labels'): void {
  if (positives === 0 || negatives === 0) {
    throw new MetricsError(
      MetricsErrorCodes.SINGLE_CLASS,
      `${what} contain ${positives} anomalous and ${negatives} normal samples; the metric needs both`,
      { positives, negatives },
    );
  }
}
