/**
 * Health gates as pure functions of what was observed, so they are tested without MQTT or a database. Each returns
 * `pass`, `wait` (not enough evidence yet) or `fail` with a reason that goes into the decision log verbatim.
 */
import type { HealthMessage } from '@linewatch/protocol';
import type { RolloutPolicy } from './policy.js';

export type Verdict =
  { kind: 'pass'; reason: string } | { kind: 'wait'; reason: string } | { kind: 'fail'; reason: string };
const pass = (reason: string): Verdict => ({ kind: 'pass', reason });
const wait = (reason: string): Verdict => ({ kind: 'wait', reason });
const fail = (reason: string): Verdict => ({ kind: 'fail', reason });

export interface Counts {
  frames: number;
  flagged: number;
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

/**
 * Upper bound of the flag-rate band around the parent's rate p0 measured on the same devices (n0 frames):
 * p0·(1+rel) + abs + z·√(p0(1−p0)·(1/n + 1/n0)) — relative and absolute slack plus the binomial noise of both
 * measurements. n0 = Infinity when p0 is known exactly.
 */
export function flagUpperBound(p0: number, n: number, p: RolloutPolicy, n0 = Number.POSITIVE_INFINITY): number {
  // Flagged events are stored durably while score messages are QoS 0, so an agent back from an outage can report
  // more flagged events than counted frames: clamp, or p0(1 − p0) goes negative and the band becomes NaN.
  const q = clampRate(p0);
  return q * (1 + p.flagBandRel) + p.flagBandAbs + p.flagZ * noise(q, n, n0);
}

/**
 * Lower bound of the band: the floor f = p0·(1 − flagDropMax) less z standard errors of (candidate rate − floor),
 * √(f(1−f)/n + (1−flagDropMax)²·p0(1−p0)/n0) — the candidate's binomial noise at the floor plus the parent's,
 * scaled like the floor; never below 0. A fine-tune is expected to flag less (fewer false alarms), so the default
 * allows a large drop; a candidate that (almost) stops flagging is as broken as one that floods — it misses the
 * defects. flagDropMax 1 (or absent: a rollout frozen before the field existed) = no lower bound.
 */
export function flagLowerBound(p0: number, n: number, p: RolloutPolicy, n0 = Number.POSITIVE_INFINITY): number {
  const drop = p.flagDropMax ?? 1;
  if (drop >= 1) return 0;
  const q = clampRate(p0);
  const keep = 1 - drop;
  const floor = q * keep;
  const se = Math.sqrt((floor * (1 - floor)) / Math.max(1, n) + (keep * keep * q * (1 - q)) / n0);
  return Math.max(0, floor - p.flagZ * se);
}

const clampRate = (x: number): number => Math.min(1, Math.max(0, x));
const noise = (q: number, n: number, n0: number): number => Math.sqrt(q * (1 - q) * (1 / Math.max(1, n) + 1 / n0));

export function flagRateGate(baseline: Counts | null, cand: Counts, p: RolloutPolicy): Verdict {
  if (cand.frames < p.minFrames) return wait(`flag rate: ${cand.frames}/${p.minFrames} frames on the candidate`);
  const rate = Math.min(1, cand.flagged / cand.frames);
  let upper: number;
  let lower = 0;
  let vs: string;
  if (baseline && baseline.frames >= p.minBaselineFrames && baseline.frames > 0) {
    // Add-one smoothing: a short baseline with no flag yet must not collapse the band to `abs`.
    const p0 = Math.min(baseline.flagged + 1, baseline.frames + 2) / (baseline.frames + 2);
    upper = flagUpperBound(p0, cand.frames, p, baseline.frames);
    lower = flagLowerBound(p0, cand.frames, p, baseline.frames);
    vs = `parent ${pct(p0)} on the same devices (${baseline.flagged}/${baseline.frames})`;
  } else {
    upper = p.flagNoBaselineMax;
    vs = `no parent baseline (${baseline?.frames ?? 0} frames < ${p.minBaselineFrames}), absolute ceiling`;
  }
  const band = lower > 0 ? `band ${pct(lower)} … ${pct(upper)}` : `band ≤ ${pct(upper)}`;
  const msg = `flag rate ${pct(rate)} (${cand.flagged}/${cand.frames}) vs ${vs}: ${band}`;
  if (rate > upper) return fail(msg);
  if (rate < lower) return fail(`${msg} — the candidate stopped flagging (below the band)`);
  return pass(msg);
}

export interface DeviceHealthInput {
  deviceId: string;
  baseFps: number | null;
  baseLatencyMs: number | null;
}

export function meanFps(h: HealthMessage): number | null {
  if (h.cameras.length === 0) return null;
  return h.cameras.reduce((s, c) => s + c.fps, 0) / h.cameras.length;
}

/** fps and p99 latency of a device now running the candidate, against its own numbers before the update. */
export function healthGate(t: DeviceHealthInput, h: HealthMessage | null, version: string, p: RolloutPolicy): Verdict {
  if (!h || h.modelVersion !== version) {
    return p.requireHealth
      ? wait(`${t.deviceId}: no health report on ${version} yet`)
      : pass(`${t.deviceId}: health not required`);
  }
  const fps = meanFps(h);
  if (t.baseFps !== null && t.baseFps > 0 && fps !== null && fps < t.baseFps * p.minFpsRatio) {
    return fail(`${t.deviceId}: fps ${fps.toFixed(1)} < ${p.minFpsRatio} × ${t.baseFps.toFixed(1)} before the update`);
  }
  const lat = h.latencyMs.p99;
  if (t.baseLatencyMs !== null) {
    const limit = Math.max(t.baseLatencyMs * p.maxLatencyRatio, t.baseLatencyMs + p.latencySlackMs);
    if (lat > limit)
      return fail(
        `${t.deviceId}: latency p99 ${lat.toFixed(1)} ms > ${limit.toFixed(1)} ms (before: ${t.baseLatencyMs.toFixed(1)} ms)`,
      );
  }
  return pass(`${t.deviceId}: fps ${fps?.toFixed(1) ?? '-'}, p99 ${lat.toFixed(1)} ms within bounds`);
}

export interface Verdicts {
  confirmed: number;
  rejected: number;
}

/** QA reject rate on the candidate's flagged events vs the parent's, once both have enough reviews. */
export function rejectRateGate(cand: Verdicts, parent: Verdicts, p: RolloutPolicy): Verdict {
  const nc = cand.confirmed + cand.rejected;
  const np = parent.confirmed + parent.rejected;
  if (nc < p.minReviews || np < p.minReviews) {
    return wait(`QA reject rate: ${nc} reviews on the candidate, ${np} on the parent (need ${p.minReviews} each)`);
  }
  const rc = cand.rejected / nc;
  const rp = parent.rejected / np;
  const msg = `QA reject rate ${pct(rc)} (${cand.rejected}/${nc}) vs parent ${pct(rp)} (${parent.rejected}/${np}), allowed +${pct(p.maxRejectRateIncrease)}`;
  return rc <= rp + p.maxRejectRateIncrease ? pass(msg) : fail(msg);
}

/**
 * Shadow statistics the agent puts on its status note while a shadow window runs (the protocol has no field):
 * "shadow: N frames, agreement A, flag rate live L / candidate C, …".
 */
export function parseShadowNote(
  note: string | undefined,
): { frames: number; agreement: number; live: number; candidate: number } | null {
  if (!note) return null;
  const m = /shadow: (\d+) frames, agreement ([\d.]+), flag rate live ([\d.]+) \/ candidate ([\d.]+)/.exec(note);
  if (!m) return null;
  return { frames: Number(m[1]), agreement: Number(m[2]), live: Number(m[3]), candidate: Number(m[4]) };
}

/** Shadow phase: the candidate's flag rate on the very frames the live model scored, same band as above. */
export function shadowGate(s: { frames: number; live: number; candidate: number }, p: RolloutPolicy): Verdict {
  const need = p.shadow?.minFrames ?? 0;
  if (s.frames < Math.max(1, need)) return wait(`shadow: ${s.frames}/${need} frames`);
  const upper = flagUpperBound(s.live, s.frames, p, s.frames);
  const lower = flagLowerBound(s.live, s.frames, p, s.frames);
  const band = lower > 0 ? `band ${pct(lower)} … ${pct(upper)}` : `band ≤ ${pct(upper)}`;
  const msg = `shadow flag rate ${pct(s.candidate)} vs live ${pct(s.live)} on the same ${s.frames} frames: ${band}`;
  return s.candidate <= upper && s.candidate >= lower ? pass(msg) : fail(msg);
}
