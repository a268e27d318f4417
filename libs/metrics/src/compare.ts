/**
 * Candidate vs reference (parent) on the same held-out items, with intervals instead of bare point differences:
 * the image-AUROC difference by DeLong, the false-alarm-rate difference (both at one threshold, on the normal items)
 * by Newcombe's paired score interval, each rate with its Wilson interval. Plain numbers only, so the result can be
 * sent and stored as JSON (it is the lineage's record of what the eligibility verdict was based on).
 */
import { delongDifference } from './delong.js';
import { MetricsError, MetricsErrorCodes } from './errors.js';
import { pairedRateDifference } from './intervals.js';
import { checkNoNaN } from './validate.js';

export interface HeldOutScores {
  /** 0 normal, 1 anomalous, per held-out item */
  readonly labels: ArrayLike<number>;
  readonly candidate: ArrayLike<number>;
  readonly parent: ArrayLike<number>;
  /** Operating point for the false-alarm rates (the parent's threshold: what the fleet runs today). */
  readonly threshold: number;
}

export interface HeldOutComparison {
  readonly confidence: number;
  readonly anomalous: number;
  readonly normal: number;
  /** null when one class is missing (AUROC undefined). */
  readonly imageAuroc: {
    readonly method: 'delong';
    readonly candidate: number;
    readonly parent: number;
    readonly diff: number;
    readonly se: number;
    readonly lo: number;
    readonly hi: number;
  } | null;
  /** null without normal items. */
  readonly falseAlarm: {
    readonly method: 'newcombe-paired';
    readonly threshold: number;
    readonly n: number;
    readonly candidate: { readonly k: number; readonly rate: number; readonly lo: number; readonly hi: number };
    readonly parent: { readonly k: number; readonly rate: number; readonly lo: number; readonly hi: number };
    readonly diff: number;
    readonly lo: number;
    readonly hi: number;
  } | null;
}

export function compareHeldOut(s: HeldOutScores, confidence = 0.95): HeldOutComparison {
  const n = s.labels.length;
  if (s.candidate.length !== n || s.parent.length !== n)
    throw new MetricsError(
      MetricsErrorCodes.LENGTH_MISMATCH,
      `labels ${n}, candidate ${s.candidate.length}, parent ${s.parent.length} scores`,
    );
  checkNoNaN(s.candidate, 'candidate');
  checkNoNaN(s.parent, 'parent');
  const normalIdx: number[] = [];
  for (let i = 0; i < n; i++) if (!s.labels[i]) normalIdx.push(i);
  const anomalous = n - normalIdx.length;
  let imageAuroc: HeldOutComparison['imageAuroc'] = null;
  if (anomalous > 0 && normalIdx.length > 0) {
    const d = delongDifference(s.candidate, s.parent, s.labels, confidence);
    imageAuroc = { method: 'delong', candidate: d.first, parent: d.second, diff: d.diff, se: d.se, lo: d.lo, hi: d.hi };
  }
  let falseAlarm: HeldOutComparison['falseAlarm'] = null;
  if (normalIdx.length > 0) {
    const r = pairedRateDifference(
      {
        first: normalIdx.map((i) => s.candidate[i]! >= s.threshold),
        second: normalIdx.map((i) => s.parent[i]! >= s.threshold),
      },
      confidence,
    );
    const rate = (x: { k: number; lo: number; hi: number }) => ({ k: x.k, rate: x.k / r.n, lo: x.lo, hi: x.hi });
    falseAlarm = {
      method: 'newcombe-paired',
      threshold: s.threshold,
      n: r.n,
      candidate: rate(r.first),
      parent: rate(r.second),
      diff: r.diff,
      lo: r.lo,
      hi: r.hi,
    };
  }
  return { confidence, anomalous, normal: normalIdx.length, imageAuroc, falseAlarm };
}
