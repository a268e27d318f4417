/**
 * The eligibility gate: a fine-tuned candidate may be rolled out only if it beats or matches its parent on the
 * same held-out set — image AUROC and pixel AUROC not lower, false-alarm rate (at the parent's threshold) not
 * higher, each within a small tolerance (measurement noise on a few hundred items) — and its manifest build is
 * higher than the parent's (agents refuse a non-rollback update to a lower or equal build). The reason lists
 * every comparison, so the UI can show exactly why a version was blocked.
 */
import type { HeldOutMetrics, ModelMetrics } from '../store/registry-store.js';

export interface Tolerance {
  auroc: number;
  falseAlarm: number;
}

export interface Eligibility {
  /** null: nothing to compare with (a first model without a parent). */
  eligible: boolean | null;
  reason: string;
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
  if (!m || !m.parent) {
    problems.push('no held-out comparison with the parent was measured');
  } else {
    const c: HeldOutMetrics = m.candidate;
    const p: HeldOutMetrics = m.parent;
    const higherBetter = (name: 'imageAuroc' | 'pixelAuroc'): void => {
      const cv = c[name];
      const pv = p[name];
      if (pv === null) notes.push(`${name} not measured for the parent`);
      else if (cv === null) problems.push(`${name} missing for the candidate (parent ${f(pv)})`);
      else if (cv < pv - tol.auroc) problems.push(`${name} ${f(cv)} < parent ${f(pv)} - ${tol.auroc}`);
      else notes.push(`${name} ${f(cv)} ≥ parent ${f(pv)} - ${tol.auroc}`);
    };
    higherBetter('imageAuroc');
    higherBetter('pixelAuroc');
    const cf = c.falseAlarmRate;
    const pf = p.falseAlarmRate;
    if (pf === null) notes.push('falseAlarmRate not measured for the parent');
    else if (cf === null) problems.push(`falseAlarmRate missing for the candidate (parent ${f(pf)})`);
    else if (cf > pf + tol.falseAlarm) problems.push(`falseAlarmRate ${f(cf)} > parent ${f(pf)} + ${tol.falseAlarm}`);
    else notes.push(`falseAlarmRate ${f(cf)} ≤ parent ${f(pf)} + ${tol.falseAlarm}`);
    if (c.n === 0) problems.push('held-out set is empty');
    else notes.push(`held-out n=${c.n}`);
  }
  if (problems.length > 0)
    return {
      eligible: false,
      reason: `ineligible vs ${parent.version}: ${problems.join('; ')}${notes.length ? ` (${notes.join('; ')})` : ''}`,
    };
  return { eligible: true, reason: `eligible vs ${parent.version}: ${notes.join('; ')}` };
}
