/** F1-max: the best F1 over all thresholds, with the threshold that achieves it. */
import { scanGroups } from './groups.js';
import type { Labels, Scores } from './validate.js';
import { requireBothClasses } from './validate.js';

export interface F1Max {
  readonly f1: number;
  /** Call a sample anomalous when score >= threshold. */
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
}

function f1OfChunks(scoreChunks: readonly Scores[], labelChunks: readonly Labels[]): F1Max {
  let best = { f1: -1, threshold: Infinity, tp: 0, fp: 0 };
  const totals = scanGroups(scoreChunks, labelChunks, ({ positives }) => {
    let tp = 0;
    let fp = 0;
    return (t, p, n) => {
      tp += p;
      fp += n;
      // F1 = 2TP / (2TP + FP + FN) with FN = P − TP. Strict '>' keeps the highest threshold among equal F1 values,
      // i.e. the one raising the fewest alarms.
      const f1 = (2 * tp) / (tp + fp + positives);
      if (f1 > best.f1) best = { f1, threshold: t, tp, fp };
    };
  });
  requireBothClasses(totals.positives, totals.negatives);
  return {
    f1: best.f1,
    threshold: best.threshold,
    precision: best.tp + best.fp === 0 ? 0 : best.tp / (best.tp + best.fp),
    recall: best.tp / totals.positives,
  };
}

/** Image-level F1-max. Throws LW_METRICS_SINGLE_CLASS when one class is missing. */
export function f1Max(scores: Scores, labels: Labels): F1Max {
  return f1OfChunks([scores], [labels]);
}

/** Pixel-level F1-max over one or many maps (same input shapes as pixelAuroc). */
export function pixelF1Max(
  scores: Float32Array | readonly Float32Array[],
  labels: Uint8Array | readonly Uint8Array[],
): F1Max {
  const s = scores instanceof Float32Array ? [scores] : scores;
  const l = labels instanceof Uint8Array ? [labels] : labels;
  return f1OfChunks(s, l);
}
