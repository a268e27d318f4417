/**
 * Evaluates every gate of a running rollout over the devices that run the candidate, from what the database holds
 * (fleet health/status, flagged events, QA verdicts, candidate frame counts) plus frames counted since the last
 * flush. `ready`: enough evidence to move to the next wave; `fail`: the reason to roll back.
 */
import type { HealthMessage, StatusMessage } from '@linewatch/protocol';
import type { RolloutRow, RolloutStore, TargetRow } from '../store/rollout-store.js';
import type { FleetRow } from '../store/types.js';
import {
  flagRateGate,
  healthGate,
  meanFps,
  parseShadowNote,
  rejectRateGate,
  shadowGate,
  type Verdict,
} from './gates.js';

export type Fleet = Map<string, FleetRow & { line: string; name: string }>;

export interface GateResult {
  fail?: string;
  ready: boolean;
  summary: string;
}

export interface GateInputs {
  store: RolloutStore;
  rollout: RolloutRow;
  targets: TargetRow[];
  fleet: Fleet;
  /** Frames counted for a device since the last flush into its target row. */
  pendingFrames: (deviceId: string) => number;
  now: Date;
  /** `<rollout>/<device>` → when its health bounds were first seen violated (engine memory; reset when they hold). */
  violations: Map<string, number>;
}

export async function evaluateGates(g: GateInputs): Promise<GateResult> {
  const shadowFail = g.rollout.phase === 'shadow' ? shadowFailure(g) : null;
  if (shadowFail) return { fail: shadowFail, ready: false, summary: '' };
  const live = g.targets.filter((t) => t.state === 'live');
  if (live.length === 0) return { ready: false, summary: 'no device live yet' };
  const verdicts = [...healthVerdicts(g, live), ...(await evidenceVerdicts(g, live))];
  const failed = verdicts.find((v) => v.kind === 'fail');
  if (failed) return { fail: failed.reason, ready: false, summary: '' };
  return { ready: verdicts.every((v) => v.kind === 'pass'), summary: verdicts.map((v) => v.reason).join('; ') };
}

/** A shadowing canary whose own shadow report (status note) already fails the shadow gate. */
function shadowFailure({ rollout: r, targets, fleet }: GateInputs): string | null {
  for (const t of targets.filter((x) => x.wave === 0 && x.state === 'sent')) {
    const s = parseShadowNote((fleet.get(t.deviceId)?.status as StatusMessage | null)?.note);
    if (s) {
      const v = shadowGate(s, r.policy);
      if (v.kind === 'fail') return `${t.deviceId}: ${v.reason}`;
    }
  }
  return null;
}

/** Health per live device; the devices within bounds are summed up in one leading verdict. */
function healthVerdicts(g: GateInputs, live: TargetRow[]): Verdict[] {
  const verdicts: Verdict[] = [];
  const healthy: Array<{ fps: number | null; p99: number }> = [];
  for (const t of live) {
    const v = deviceHealth(g, t);
    const h = g.fleet.get(t.deviceId)?.health as HealthMessage | null;
    if (v.kind === 'pass' && h) healthy.push({ fps: meanFps(h), p99: h.latencyMs.p99 });
    else verdicts.push(v);
  }
  if (healthy.length > 0) {
    // One line for the devices within bounds (the decision log of a 500-device wave stays readable).
    const fps = healthy.map((x) => x.fps).filter((x): x is number => x !== null);
    const worst = `${fps.length ? `min fps ${Math.min(...fps).toFixed(1)}, ` : ''}max p99 ${Math.max(...healthy.map((x) => x.p99)).toFixed(1)} ms`;
    verdicts.unshift({ kind: 'pass', reason: `health: ${healthy.length} device(s) within bounds (${worst})` });
  }
  return verdicts;
}

function deviceHealth({ rollout: r, fleet, now, violations }: GateInputs, t: TargetRow): Verdict {
  const policy = r.policy;
  // Agents report latency and fps per window; the window that spans the swap carries the load/warm-up spike.
  if (t.liveAt !== null && now.getTime() - t.liveAt.getTime() < policy.healthGraceS * 1000) {
    return { kind: 'wait', reason: `${t.deviceId}: health settling (${policy.healthGraceS} s after live)` };
  }
  const v = healthGate(t, (fleet.get(t.deviceId)?.health as HealthMessage | null) ?? null, r.version, policy);
  const key = `${r.id}/${t.deviceId}`;
  if (v.kind !== 'fail') {
    violations.delete(key);
    return v;
  }
  // Sustained, not one window: a neighbour's model load or a burst on a shared box dips one report.
  const since = violations.get(key) ?? now.getTime();
  violations.set(key, since);
  const held = (now.getTime() - since) / 1000;
  if (held < policy.healthSustainS)
    return { kind: 'wait', reason: `${v.reason} (for ${held.toFixed(0)} s of ${policy.healthSustainS} s)` };
  return { kind: 'fail', reason: `${v.reason} for ${held.toFixed(0)} s` };
}

/** Flag rate against the parent's baseline, and QA reject rate against the parent's (when there is one). */
async function evidenceVerdicts(
  { store, rollout: r, pendingFrames }: GateInputs,
  live: TargetRow[],
): Promise<Verdict[]> {
  const ids = live.map((t) => t.deviceId);
  const frames = live.reduce((s, t) => s + t.frames, 0) + ids.reduce((s, d) => s + pendingFrames(d), 0);
  let flagged = await store.flaggedEvents(ids, r.version);
  // Flags raised while no engine counted frames (a leader died; engine.ts resume) would count without their frames.
  for (const w of await store.uncountedWindows(r.id))
    flagged -= await store.flaggedEvents(ids, r.version, w.from, w.to);
  const verdicts = [flagRateGate(r.baseline, { frames, flagged }, r.policy)];
  if (r.parentVersion) {
    const qa = rejectRateGate(await store.verdicts(r.version, ids), await store.verdicts(r.parentVersion), r.policy);
    // Too few reviews pass unless the policy holds the wave for them (then the wave waits, the UI says how many).
    const holds = r.policy.holdUntilMinReviews === true;
    if (qa.kind !== 'wait') verdicts.push(qa);
    else if (holds) verdicts.push({ kind: 'wait', reason: `holding for reviews: ${qa.reason}` });
    else verdicts.push({ kind: 'pass', reason: `${qa.reason}; not held (holdUntilMinReviews off)` });
  }
  return verdicts;
}
