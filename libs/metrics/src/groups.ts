/**
 * Walks (score, label) pairs from the highest score down, one group per distinct score. Every threshold-based metric
 * here (ROC, AUROC, F1-max) is a fold over these groups; grouping ties is what makes tied scores count as ½ in AUROC
 * and keeps thresholds that cannot separate tied samples out of the curves.
 *
 * Implementation: positives and negatives are split into two arrays, each sorted ascending, then merged from the top.
 * That needs no index array and no payload, so 15 M pixels cost 2 × 4 bytes each plus one radix scratch buffer.
 */
import { MetricsError, MetricsErrorCodes } from './errors.js';
import { keyToFloat, keysOf, radixSortKeys } from './sort.js';
import type { Labels, Scores } from './validate.js';
import { checkNoNaN, checkPair } from './validate.js';

export interface GroupTotals {
  readonly positives: number;
  readonly negatives: number;
}

/** Called once per distinct score, in descending score order. */
export type GroupVisitor = (threshold: number, positives: number, negatives: number) => void;

function isPositive(v: number | boolean): boolean {
  return v === true || (typeof v === 'number' && v !== 0);
}

/** Validates chunks (lengths, NaN) and counts classes. */
export function countClasses(scoreChunks: readonly Scores[], labelChunks: readonly Labels[]): GroupTotals {
  if (scoreChunks.length !== labelChunks.length) {
    throw new MetricsError(
      MetricsErrorCodes.LENGTH_MISMATCH,
      `${scoreChunks.length} score arrays but ${labelChunks.length} label arrays`,
    );
  }
  if (scoreChunks.length === 0) throw new MetricsError(MetricsErrorCodes.EMPTY, 'no score arrays given');
  let positives = 0;
  let total = 0;
  scoreChunks.forEach((s, c) => {
    const l = labelChunks[c]!;
    checkPair(s, l, `scores[${c}]`);
    checkNoNaN(s, `scores[${c}]`);
    for (let i = 0; i < l.length; i++) if (isPositive(l[i]!)) positives++;
    total += s.length;
  });
  return { positives, negatives: total - positives };
}

function fillSplit(
  scoreChunks: readonly Scores[],
  labelChunks: readonly Labels[],
  pos: { [i: number]: number },
  neg: { [i: number]: number },
): void {
  let p = 0;
  let n = 0;
  scoreChunks.forEach((s, c) => {
    const l = labelChunks[c]!;
    for (let i = 0; i < s.length; i++) {
      if (isPositive(l[i]!)) pos[p++] = s[i]!;
      else neg[n++] = s[i]!;
    }
  });
}

function mergeDescending(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  decode: (v: number) => number,
  visit: GroupVisitor,
): void {
  let i = pos.length - 1;
  let j = neg.length - 1;
  while (i >= 0 || j >= 0) {
    const v = i < 0 ? neg[j]! : j < 0 ? pos[i]! : Math.max(pos[i]!, neg[j]!);
    let np = 0;
    let nn = 0;
    while (i >= 0 && pos[i] === v) {
      np++;
      i--;
    }
    while (j >= 0 && neg[j] === v) {
      nn++;
      j--;
    }
    visit(decode(v), np, nn);
  }
}

/**
 * Visits all distinct scores in descending order with the number of positives/negatives at each. Chunks are
 * concatenated logically (e.g. one anomaly map per image). All-Float32Array input is sorted as radix keys.
 */
export function scanGroups(
  scoreChunks: readonly Scores[],
  labelChunks: readonly Labels[],
  makeVisitor: (totals: GroupTotals) => GroupVisitor,
): GroupTotals {
  const totals = countClasses(scoreChunks, labelChunks);
  // Metrics such as F1 need the class totals while scanning, so the visitor is built once they are known.
  const visit = makeVisitor(totals);
  if (scoreChunks.every((s) => s instanceof Float32Array)) {
    const pos = new Float32Array(totals.positives);
    const neg = new Float32Array(totals.negatives);
    fillSplit(scoreChunks, labelChunks, pos, neg);
    // Keys are written over fresh buffers; the float copies are dropped right after.
    const pk = keysOf(pos);
    const nk = keysOf(neg);
    radixSortKeys(pk);
    radixSortKeys(nk);
    mergeDescending(pk, nk, keyToFloat, visit);
  } else {
    const pos = new Float64Array(totals.positives);
    const neg = new Float64Array(totals.negatives);
    fillSplit(scoreChunks, labelChunks, pos, neg);
    pos.sort();
    neg.sort();
    mergeDescending(pos, neg, (v) => v, visit);
  }
  return totals;
}
