/**
 * Eligibility from intervals: the worker measured candidate and parent on the same held-out items and sent the
 * DeLong interval of the image-AUROC difference and Newcombe's paired interval of the false-alarm-rate difference
 * (libs/metrics compareHeldOut), and — from newer workers — an image-level bootstrap interval of the pixel-AUROC
 * difference (pixelAurocDifference). A verdict counts only with at least `minPerClass` anomalous AND normal held-out
 * items, and only when the interval can tell (else "not enough data", with the interval, for a human to weigh) — a
 * point difference on 17 items is noise, not a reason to block or pass a model.
 */
import { judgeDifference, type ComparisonVerdict } from '@linewatch/metrics';
import type { EligibilityDecisionBody, HeldOutComparison } from '@linewatch/protocol/http';

export interface IntervalTolerance {
  auroc: number;
  falseAlarm: number;
  minPerClass: number;
}

type MetricDecision = NonNullable<EligibilityDecisionBody['imageAuroc']>;

const f = (x: number): string => x.toFixed(4);
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;

function judged(i: { diff: number; lo: number; hi: number }, margin: number, higherIsBetter: boolean): MetricDecision {
  return { verdict: judgeDifference(i, margin, higherIsBetter), diff: i.diff, lo: i.lo, hi: i.hi, margin };
}

const SAYS: Record<ComparisonVerdict, string> = {
  better: 'better',
  'not-worse': 'not worse',
  worse: 'worse',
  'not-enough-data': 'interval too wide to tell',
};

/** One human line per metric: "image AUROC 0.9120 vs parent 0.9300: Δ −0.0180 [−0.0900, +0.0540] → not worse". */
function describe(name: string, d: MetricDecision, cand: string, parent: string, confidence: number): string {
  const pct = Math.round(confidence * 100);
  return `${name} ${cand} vs parent ${parent}: Δ ${signed(d.diff)} [${signed(d.lo)}, ${signed(d.hi)}] (${pct} %, margin ${d.margin}) → ${SAYS[d.verdict]}`;
}

/**
 * The pixel part, from the worker's image-level bootstrap: judged like image AUROC, but with fewer than `minPerClass`
 * masked anomalous (or normal) held-out images its verdict is "not enough data" and does not count — masks are
 * scarcer than confirmations, and the image-level gate still decides. undefined: the worker sent no pixel interval.
 */
function pixelPart(
  c: HeldOutComparison,
  tol: IntervalTolerance,
  notes: string[],
): { decision: MetricDecision | null; counts: boolean } | undefined {
  const p = c.pixelAuroc;
  if (p === undefined) return undefined;
  if (p === null) {
    notes.push('pixel AUROC not comparable (no masked anomalous or no normal held-out images)');
    return { decision: null, counts: false };
  }
  const d = judged(p, tol.auroc, true);
  notes.push(
    describe('pixel AUROC', d, f(p.candidate), f(p.parent), c.confidence) + ` (${p.resamples} image resamples)`,
  );
  if (p.masked >= tol.minPerClass && p.normal >= tol.minPerClass) return { decision: d, counts: true };
  notes.push(
    `pixel AUROC: ${p.masked} masked anomalous and ${p.normal} normal held-out images, ${tol.minPerClass} of each needed before its verdict counts (not counted)`,
  );
  return { decision: { ...d, verdict: 'not-enough-data' }, counts: false };
}

export function decideFromIntervals(
  c: HeldOutComparison,
  tol: IntervalTolerance,
): { decision: EligibilityDecisionBody; problems: string[]; notes: string[] } {
  const problems: string[] = [];
  const notes: string[] = [];
  const auc = c.imageAuroc ? judged(c.imageAuroc, tol.auroc, true) : null;
  const fa = c.falseAlarm ? judged(c.falseAlarm, tol.falseAlarm, false) : null;
  if (c.imageAuroc && auc)
    notes.push(describe('image AUROC', auc, f(c.imageAuroc.candidate), f(c.imageAuroc.parent), c.confidence));
  else notes.push('image AUROC not comparable (a class is missing from the held-out part)');
  if (c.falseAlarm && fa) {
    const rate = (x: { k: number }) => `${x.k}/${c.falseAlarm!.n}`;
    notes.push(
      describe('false alarms', fa, rate(c.falseAlarm.candidate), rate(c.falseAlarm.parent), c.confidence) +
        ` at the parent's threshold ${c.falseAlarm.threshold.toPrecision(4)}`,
    );
  } else notes.push('false-alarm rate not comparable (no normal held-out items)');
  const px = pixelPart(c, tol, notes);
  const short = c.anomalous < tol.minPerClass || c.normal < tol.minPerClass;
  const verdicts = [auc?.verdict, fa?.verdict, px?.counts ? px.decision?.verdict : undefined];
  let decision: EligibilityDecisionBody['decision'];
  if (short) {
    decision = 'not-enough-data';
    notes.unshift(
      `${c.anomalous} anomalous and ${c.normal} normal held-out items, ${tol.minPerClass} of each needed before the verdict counts`,
    );
  } else if (verdicts.includes('worse')) {
    decision = 'ineligible';
    if (auc?.verdict === 'worse') problems.push('image AUROC is worse than the parent’s beyond its interval');
    if (fa?.verdict === 'worse')
      problems.push('false alarms are more frequent than the parent’s beyond their interval');
    if (px?.counts && px.decision?.verdict === 'worse')
      problems.push('pixel AUROC is worse than the parent’s beyond its interval');
  } else if (verdicts.includes('not-enough-data') || !auc || !fa) {
    decision = 'not-enough-data';
    notes.unshift('an interval straddles the tolerated loss');
  } else decision = 'eligible';
  return {
    decision: {
      decision,
      minPerClass: tol.minPerClass,
      anomalous: c.anomalous,
      normal: c.normal,
      confidence: c.confidence,
      imageAuroc: auc,
      falseAlarm: fa,
      ...(px ? { pixelAuroc: px.decision, masked: c.pixelAuroc?.masked ?? 0 } : {}),
    },
    problems,
    notes,
  };
}
