/** The rollout gates and wave planning as pure functions: what passes, what waits, what fails, and why. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HealthMessage } from '@linewatch/protocol';
import { flagRateGate, healthGate, parseShadowNote, rejectRateGate, shadowGate } from '../src/rollouts/gates.js';
import { DEFAULT_POLICY, checkOverrides, planWaves, type RolloutPolicy } from '../src/rollouts/policy.js';
import { isControllerError } from '../src/errors.js';
import { FrameCounter } from '../src/rollouts/frame-counter.js';

const P: RolloutPolicy = { ...DEFAULT_POLICY, minFrames: 100, minBaselineFrames: 100 };

test('flag-rate gate: waits for frames, passes within the band of the parent, fails above it', () => {
  const base = { frames: 10_000, flagged: 200 }; // 2%
  assert.equal(flagRateGate(base, { frames: 50, flagged: 40 }, P).kind, 'wait');
  assert.equal(flagRateGate(base, { frames: 1000, flagged: 25 }, P).kind, 'pass'); // 2.5%
  // fewer flags pass down to the band's lower side (2 % → 0.4 % less noise: 1000 frames cannot tell 0 from it)
  assert.equal(flagRateGate(base, { frames: 1000, flagged: 0 }, P).kind, 'pass');
  assert.equal(flagRateGate(base, { frames: 1000, flagged: 5 }, P).kind, 'pass');
  const v = flagRateGate(base, { frames: 1000, flagged: 100 }, P); // 10%
  assert.equal(v.kind, 'fail');
  assert.match(v.reason, /flag rate 10\.00% \(100\/1000\) vs parent 2\.01%/);
  // Without a baseline the absolute ceiling applies.
  assert.equal(flagRateGate(null, { frames: 1000, flagged: 50 }, P).kind, 'pass');
  assert.equal(flagRateGate({ frames: 10, flagged: 0 }, { frames: 1000, flagged: 150 }, P).kind, 'fail');
});

test('flag-rate gate: more flagged events than counted frames (scores lost in an outage, events durable) stays a number', () => {
  // A parent that flags everything, with more stored events than score messages: the band must not become NaN.
  const v = flagRateGate({ frames: 200, flagged: 260 }, { frames: 200, flagged: 230 }, P);
  assert.equal(v.kind, 'pass', v.reason);
  assert.doesNotMatch(v.reason, /NaN/);
  const lower = flagRateGate({ frames: 1000, flagged: 20 }, { frames: 200, flagged: 260 }, P);
  assert.equal(lower.kind, 'fail', lower.reason);
  assert.doesNotMatch(lower.reason, /NaN/);
});

test('flag-rate gate is two-sided: a candidate that stops flagging fails as surely as one that floods', () => {
  const base = { frames: 20_000, flagged: 2_000 }; // 10 %
  const stopped = flagRateGate(base, { frames: 5_000, flagged: 0 }, P);
  assert.equal(stopped.kind, 'fail', stopped.reason);
  assert.match(
    stopped.reason,
    /flag rate 0\.00% \(0\/5000\) vs parent 10\.00% .*band \d\.\d+% … \d+\.\d+% — the candidate stopped flagging/,
  );
  // a fine-tune that flags 3 % instead of 10 % (fewer false alarms) is inside the default band (down to a fifth)
  assert.equal(flagRateGate(base, { frames: 5_000, flagged: 150 }, P).kind, 'pass');
  // the policy sets the lower side: allowing no drop beyond 50 % fails the same 3 %; flagDropMax 1 = no lower side
  assert.equal(flagRateGate(base, { frames: 5_000, flagged: 150 }, { ...P, flagDropMax: 0.5 }).kind, 'fail');
  assert.equal(flagRateGate(base, { frames: 5_000, flagged: 250 }, { ...P, flagDropMax: 0.5 }).kind, 'pass');
  assert.equal(flagRateGate(base, { frames: 5_000, flagged: 0 }, { ...P, flagDropMax: 1 }).kind, 'pass');
  // a policy frozen into a rollout before the field existed keeps its one-sided band
  const { flagDropMax: _drop, ...old } = P;
  assert.equal(flagRateGate(base, { frames: 5_000, flagged: 0 }, old).kind, 'pass');
  // few candidate frames: the binomial noise widens the band and the gate does not guess
  assert.equal(flagRateGate(base, { frames: 100, flagged: 0 }, P).kind, 'pass');
  // shadow: same band, both sides
  const shadow = shadowGate({ frames: 5_000, live: 0.1, candidate: 0 }, P);
  assert.equal(shadow.kind, 'fail', shadow.reason);
  // the lower side is policy, validated like every field
  assert.deepEqual(checkOverrides({ flagDropMax: 0.5, holdUntilMinReviews: true }), {
    flagDropMax: 0.5,
    holdUntilMinReviews: true,
  });
  for (const bad of [{ flagDropMax: 1.5 }, { flagDropMax: -0.1 }, { holdUntilMinReviews: 'yes' }])
    assert.throws(
      () => checkOverrides(bad),
      (e: unknown) => isControllerError(e, 'LW_CTRL_ROLLOUT_POLICY_INVALID'),
    );
});

const health = (over: Partial<HealthMessage>): HealthMessage => ({
  device: 'd',
  ts: 1,
  uptimeS: 1,
  modelVersion: 'v2',
  executionProvider: 'cpu',
  cameras: [{ camera: 'c', fps: 20, framesDropped: 0 }],
  latencyMs: { p50: 10, p99: 20 },
  outbox: { depth: 0, bytes: 0 },
  ...over,
});

test('health gate: fps and p99 latency against the device before the update', () => {
  const t = { deviceId: 'd', baseFps: 20, baseLatencyMs: 20 };
  assert.equal(healthGate(t, null, 'v2', P).kind, 'wait');
  assert.equal(healthGate(t, health({ modelVersion: 'v1' }), 'v2', P).kind, 'wait');
  assert.equal(healthGate(t, health({}), 'v2', P).kind, 'pass');
  assert.equal(healthGate(t, health({ cameras: [{ camera: 'c', fps: 10, framesDropped: 0 }] }), 'v2', P).kind, 'fail');
  assert.equal(healthGate(t, health({ latencyMs: { p50: 30, p99: 38 } }), 'v2', P).kind, 'pass'); // within max(×1.5, +20 ms)
  assert.match(
    healthGate(t, health({ latencyMs: { p50: 30, p99: 60 } }), 'v2', P).reason,
    /latency p99 60\.0 ms > 40\.0 ms/,
  );
});

test('QA reject-rate gate waits for enough reviews, then allows a bounded increase', () => {
  const p = { ...P, minReviews: 10, maxRejectRateIncrease: 0.1 };
  assert.equal(rejectRateGate({ confirmed: 3, rejected: 3 }, { confirmed: 50, rejected: 10 }, p).kind, 'wait');
  assert.equal(rejectRateGate({ confirmed: 8, rejected: 2 }, { confirmed: 50, rejected: 10 }, p).kind, 'pass');
  assert.equal(rejectRateGate({ confirmed: 4, rejected: 6 }, { confirmed: 50, rejected: 10 }, p).kind, 'fail');
});

test('shadow statistics are read from the agent status note and gated with the same band', () => {
  const s = parseShadowNote(
    'shadow: 400 frames, agreement 0.950, flag rate live 0.020 / candidate 0.300, mean |Δscore| 0.1',
  );
  assert.deepEqual(s, { frames: 400, agreement: 0.95, live: 0.02, candidate: 0.3 });
  const p = { ...P, shadow: { durationS: 60, minFrames: 100 } };
  assert.equal(shadowGate(s!, p).kind, 'fail');
  assert.equal(shadowGate({ ...s!, candidate: 0.025 }, p).kind, 'pass');
  assert.equal(shadowGate({ ...s!, frames: 10 }, p).kind, 'wait');
  assert.equal(parseShadowNote('camera cam-1 not delivering frames'), null);
});

test('waves: canary first (devices or percent), then waves of the configured size', () => {
  const ids = Array.from({ length: 10 }, (_, i) => `d${i}`);
  const a = planWaves(ids, { ...P, canaryDevices: 2, waveDevices: 3 });
  assert.equal(a.waves, 4); // 2 | 3 3 2
  assert.deepEqual(
    ids.map((d) => a.wave.get(d)),
    [0, 0, 1, 1, 1, 2, 2, 2, 3, 3],
  );
  const b = planWaves(ids, { ...P, canaryDevices: null, canaryPercent: 10, waveDevices: null, wavePercent: 50 });
  assert.deepEqual(
    ids.map((d) => b.wave.get(d)),
    [0, 1, 1, 1, 1, 1, 2, 2, 2, 2],
  );
  assert.equal(planWaves(['x'], P).waves, 1);
  assert.throws(
    () => checkOverrides({ canaryDevice: 1 }),
    (e: unknown) => isControllerError(e, 'LW_CTRL_ROLLOUT_POLICY_INVALID'),
  );
  assert.throws(
    () => checkOverrides({ minFpsRatio: 2 }),
    (e: unknown) => isControllerError(e, 'LW_CTRL_ROLLOUT_POLICY_INVALID'),
  );
});

test('frame counter: frames count from the agent-clock moment of the swap, however late the engine learns of it', () => {
  const c = new FrameCounter();
  c.score('d1', 1000); // not watched: ignored
  c.watch('d1', 'r1');
  for (let ts = 10_000; ts < 12_000; ts += 100) c.score('d1', ts); // 20 frames, 10 before the swap at 11 000
  assert.equal(c.pending('d1'), 0, 'nothing counts before the live report');
  c.live('d1', 'r1', 11_000);
  assert.equal(c.pending('d1'), 10);
  c.score('d1', 10_500); // a late parent frame
  c.score('d1', 12_000);
  assert.equal(c.pending('d1'), 11);
  assert.deepEqual(c.drain(), [['d1', 'r1', 11]]);
  assert.equal(c.pending('d1'), 0);
  c.forget('r1');
  assert.equal(c.watching('d1'), false);
});
