/**
 * The eligibility gate: a fine-tuned candidate may be rolled out only if it beats or matches its parent on the
 * same held-out set, and its manifest build is higher than the parent's (agents refuse a non-rollback update to a
 * lower or equal build). With the worker's intervals (metrics.comparison) the verdict comes from them and counts
 * only with enough held-out items per class (eligibility-intervals.ts: otherwise "not enough data", eligible null,
 * left to a human); pixel AUROC is decided from its bootstrap interval too, with enough masked held-out images.
 * Results from workers before the pixel interval keep the point comparison of pixel AUROC within the tolerance
 * (said in a note); without any intervals (older workers still) all three are point comparisons. The reason lists
 * every comparison, so the UI can show exactly why a version was blocked.
 */
import type { EligibilityDecisionBody } from '@linewatch/protocol/http';
import type { HeldOutMetrics, ModelMetrics } from '../store/registry-store.js';
import { decideFromIntervals } from './eligibility-intervals.js';

export interface Tolerance {
  auroc: number;
  falseAlarm: number;
  /** held-out items needed per class (anomalous and normal) before an interval verdict counts */
  minPerClass: number;
}

export interface Eligibility {
  /** null: nothing to compare with (a first model without a parent), or not enough held-out data to tell. */
  eligible: boolean | null;
  reason: string;
  /** The interval decision, kept with the version (absent without the worker's intervals). */
  decision?: EligibilityDecisionBody;
}

export interface ParentInfo {
  version: string;
  build: number;
}

const f = (x: number): string => x.toFixed(4);

export function decideEligibility(
  cand: { build: number; metrics: ModelMetrics | null },
  parentVersion: string | null,
  parent: ParentInfo | null,
  tol: Tolerance,
): Eligibility {
  if (parentVersion === null)
    return { eligible: null, reason: 'no parent: first model for its scope, nothing to compare with' };
  if (!parent)
    return {
      eligible: false,
      reason: `parent ${parentVersion} is not in the registry (needed to compare and to roll back)`,
    };
  const problems: string[] = [];
  const notes: string[] = [];
  if (cand.build <= parent.build)
    problems.push(`manifest build ${cand.build} is not above the parent's ${parent.build}`);
  const m = cand.metrics;
  let decision: EligibilityDecisionBody | undefined;
  if (!m || !m.parent) {
    problems.push('no held-out comparison with the parent was measured');
  } else if (m.comparison) {
    const judged = decideFromIntervals(m.comparison, tol);
    decision = judged.decision;
    problems.push(...judged.problems);
    notes.push(...judged.notes);
    if (m.comparison.pixelAuroc === undefined) {
      // A worker before the pixel interval: pixel AUROC as point values, as before.
      const pixel: string[] = [];
      notes.push('pixel AUROC without an interval (older worker): compared as point values');
      pointComparisons(m.candidate, m.parent, tol, pixel, notes, ['pixelAuroc']);
      // Without enough held-out data no verdict counts, the point comparison of pixel AUROC neither.
      if (decision.decision === 'not-enough-data') notes.push(...pixel.map((x) => `${x} (not counted)`));
      else problems.push(...pixel);
    } else notes.push(`held-out n=${m.candidate.n}`);
  } else {
    pointComparisons(m.candidate, m.parent, tol, problems, notes, ['imageAuroc', 'pixelAuroc', 'falseAlarmRate']);
  }
  const extra = decision ? { decision } : {};
  if (problems.length > 0)
    return {
      eligible: false,
      reason: `ineligible vs ${parent.version}: ${problems.join('; ')}${notes.length ? ` (${notes.join('; ')})` : ''}`,
      ...extra,
    };
  if (decision?.decision === 'not-enough-data')
    return { eligible: null, reason: `not enough data vs ${parent.version}: ${notes.join('; ')}`, ...extra };
  return { eligible: true, reason: `eligible vs ${parent.version}: ${notes.join('; ')}`, ...extra };
}

type PointMetric = 'imageAuroc' | 'pixelAuroc' | 'falseAlarmRate';

/** Point comparisons within the tolerance (no interval): higher AUROC is better, a lower false-alarm rate is. */
function pointComparisons(
  c: HeldOutMetrics,
  p: HeldOutMetrics,
  tol: Tolerance,
  problems: string[],
  notes: string[],
  which: PointMetric[],
): void {
  for (const name of which) {
    const cv = c[name];
    const pv = p[name];
    const lowerBetter = name === 'falseAlarmRate';
    const t = lowerBetter ? tol.falseAlarm : tol.auroc;
    if (pv === null) notes.push(`${name} not measured for the parent`);
    else if (cv === null) problems.push(`${name} missing for the candidate (parent ${f(pv)})`);
    else if (lowerBetter ? cv > pv + t : cv < pv - t)
      problems.push(`${name} ${f(cv)} ${lowerBetter ? '>' : '<'} parent ${f(pv)} ${lowerBetter ? '+' : '-'} ${t}`);
    else notes.push(`${name} ${f(cv)} ${lowerBetter ? '≤' : '≥'} parent ${f(pv)} ${lowerBetter ? '+' : '-'} ${t}`);
  }
  if (c.n === 0) problems.push('held-out set is empty');
  else notes.push(`held-out n=${c.n}`);
}
