/**
 * Evaluates every gate of a running rollout over the devices that run the candidate, from what the database holds
 * (fleet health/status, flagged events, QA verdicts, candidate frame counts) plus frames counted since the last
 * flush. `ready`: enough evidence to move to the next wave; `fail`: the reason to roll back.
 */
import type { HealthMessage, StatusMessage } from '@linewatch/protocol';
import type { RolloutRow, RolloutStore, TargetRow } from '../store/rollout-store.js';
import type { FleetRow } from '../store/types.js';
import { flagRateGate, healthGate, meanFps, parseShadowNote, rejectRateGate, shadowGate, type Verdict } from './gates.js';
import type { RolloutPolicy } from './policy.js';

export type Fleet = Map<string, FleetRow & { line: string; name: string }>;

export interface GateResult {
  fail?: string;
  ready: boolean;
  summary: string;
}

export async function evaluateGates(
  store: RolloutStore,
  r: RolloutRow,
  policy: RolloutPolicy,
  targets: TargetRow[],
  fleet: Fleet,
  pendingFrames: (deviceId: string) => number,
  now: Date,
  /** `<rollout>/<device>` → when its health bounds were first seen violated (engine memory; reset when they hold). */
  violations: Map<string, number>,
): Promise<GateResult> {
  const verdicts: Verdict[] = [];
  const healthy: Array<{ fps: number | null; p99: number }> = [];
  if (r.phase === 'shadow') {
    for (const t of targets.filter((x) => x.wave === 0 && x.state === 'sent')) {
      const s = parseShadowNote((fleet.get(t.deviceId)?.status as StatusMessage | null)?.note);
      if (s) {
        const v = shadowGate(s, policy);
        if (v.kind === 'fail') return { fail: `${t.deviceId}: ${v.reason}`, ready: false, summary: '' };
      }
    }
  }
  const live = targets.filter((t) => t.state === 'live');
  if (live.length === 0) return { ready: false, summary: 'no device live yet' };
  for (const t of live) {
    // Agents report latency and fps per window; the window that spans the swap carries the load/warm-up spike.
    const settling = t.liveAt !== null && now.getTime() - t.liveAt.getTime() < policy.healthGraceS * 1000;
    if (settling) verdicts.push({ kind: 'wait', reason: `${t.deviceId}: health settling (${policy.healthGraceS} s after live)` });
    else {
      const v = healthGate(t, (fleet.get(t.deviceId)?.health as HealthMessage | null) ?? null, r.version, policy);
      const key = `${r.id}/${t.deviceId}`;
      if (v.kind !== 'fail') {
        violations.delete(key);
        const h = fleet.get(t.deviceId)?.health as HealthMessage | null;
        if (v.kind === 'pass' && h) healthy.push({ fps: meanFps(h), p99: h.latencyMs.p99 });
        else verdicts.push(v);
      } else {
        // Sustained, not one window: a neighbour's model load or a burst on a shared box dips one report.
        const since = violations.get(key) ?? now.getTime();
        violations.set(key, since);
        const held = (now.getTime() - since) / 1000;
        if (held < policy.healthSustainS) {
          verdicts.push({ kind: 'wait', reason: `${v.reason} (for ${held.toFixed(0)} s of ${policy.healthSustainS} s)` });
          continue;
        }
        verdicts.push({ kind: 'fail', reason: `${v.reason} for ${held.toFixed(0)} s` });
      }
    }
  }
  if (healthy.length > 0) {
    // One line for the devices within bounds (the decision log of a 500-device wave stays readable).
    const fps = healthy.map((x) => x.fps).filter((x): x is number => x !== null);
    const worst = `${fps.length ? `min fps ${Math.min(...fps).toFixed(1)}, ` : ''}max p99 ${Math.max(...healthy.map((x) => x.p99)).toFixed(1)} ms`;
    verdicts.unshift({ kind: 'pass', reason: `health: ${healthy.length} device(s) within bounds (${worst})` });
  }
  const ids = live.map((t) => t.deviceId);
  const frames = live.reduce((s, t) => s + t.frames, 0) + ids.reduce((s, d) => s + pendingFrames(d), 0);
  const flagged = await store.flaggedEvents(ids, r.version);
  verdicts.push(flagRateGate(r.baseline, { frames, flagged }, policy));
  if (r.parentVersion) {
    const qa = rejectRateGate(await store.verdicts(r.version, ids), await store.verdicts(r.parentVersion), policy);
    verdicts.push(qa.kind === 'wait' ? { kind: 'pass', reason: qa.reason } : qa); // too few reviews must not stall
  }
  const failed = verdicts.find((v) => v.kind === 'fail');
  if (failed) return { fail: failed.reason, ready: false, summary: '' };
  return { ready: verdicts.every((v) => v.kind === 'pass'), summary: verdicts.map((v) => v.reason).join('; ') };
}
