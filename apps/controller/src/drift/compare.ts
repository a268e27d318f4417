/**
 * Drift measures between two score sketches on the same fixed buckets (no I/O): the relative shift of the median
 * and the 99th percentile, and the population stability index over ten groups of buckets cut at the baseline's
 * deciles (so each group holds ~10 % of the baseline; live mass outside the baseline's range falls in the first or
 * last group). PSI = Σ (live − base) · ln(live / base), each share floored at 1e-4. Conventional reading: < 0.1 stable,
 * 0.1–0.25 moderate, > 0.25 a shift worth acting on.
 */
import type { ScoreSketch } from '@linewatch/protocol';

const GROUPS = 10;
const FLOOR = 1e-4;

export interface DriftFigures {
  psi: number;
  /** (live − baseline) / baseline of the median; of the 99th percentile. */
  medianShift: number;
  p99Shift: number;
  baselineFrames: number;
  liveFrames: number;
}

/** Group of each bucket (index −1 = zero bucket): the decile of the baseline mass at the bucket's middle. */
function groupOf(base: ScoreSketch): (k: number) => number {
  const total = base.total;
  const at = (cumBefore: number, count: number) =>
    Math.min(GROUPS - 1, Math.floor((GROUPS * (cumBefore + count / 2)) / total));
  const zeroGroup = at(0, base.zero);
  const groups = new Int8Array(base.buckets.length);
  let cum = base.zero;
  for (let k = 0; k < base.buckets.length; k++) {
    const c = base.buckets[k] as number;
    groups[k] = at(cum, c);
    cum += c;
  }
  return (k) => (k < 0 ? zeroGroup : (groups[k] as number));
}

function shares(s: ScoreSketch, group: (k: number) => number): Float64Array {
  const out = new Float64Array(GROUPS);
  out[group(-1)] = (out[group(-1)] as number) + s.zero;
  for (let k = 0; k < s.buckets.length; k++) {
    const c = s.buckets[k] as number;
    if (c > 0) out[group(k)] = (out[group(k)] as number) + c;
  }
  for (let g = 0; g < GROUPS; g++) out[g] = Math.max(FLOOR, (out[g] as number) / s.total);
  return out;
}

const rel = (live: number, base: number) => (base > 0 ? (live - base) / base : live > 0 ? Infinity : 0);

/** NaN figures when either sketch is empty. */
export function compareSketches(base: ScoreSketch, live: ScoreSketch): DriftFigures {
  if (base.total <= 0 || live.total <= 0) {
    return { psi: NaN, medianShift: NaN, p99Shift: NaN, baselineFrames: base.total, liveFrames: live.total };
  }
  const group = groupOf(base);
  const b = shares(base, group);
  const l = shares(live, group);
  let psi = 0;
  for (let g = 0; g < GROUPS; g++)
    psi += ((l[g] as number) - (b[g] as number)) * Math.log((l[g] as number) / (b[g] as number));
  return {
    psi,
    medianShift: rel(live.quantile(0.5), base.quantile(0.5)),
    p99Shift: rel(live.quantile(0.99), base.quantile(0.99)),
    baselineFrames: base.total,
    liveFrames: live.total,
  };
}
