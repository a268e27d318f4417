/**
 * lw_rollout_gate_decisions{gate} names the gate from the decision's reason text: pinned here with the reasons the
 * gate functions themselves write, wrapped the way the engine records them, so a reworded gate fails this test
 * instead of silently counting as "other".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HealthMessage } from '@linewatch/protocol';
import { gateOf } from '../src/metrics/gate-of.js';
import { flagRateGate, healthGate, rejectRateGate, shadowGate, type Verdict } from '../src/rollouts/gates.js';
import { installProblem } from '../src/rollouts/install.js';
import { DEFAULT_POLICY } from '../src/rollouts/policy.js';
import type { RolloutRow, TargetRow } from '../src/store/rollout-store.js';

const p = { ...DEFAULT_POLICY };
const recorded = (fail: string): string => `gate failed: ${fail} → rolling back 1 device(s)`;
const failed = (v: Verdict): string => {
  assert.equal(v.kind, 'fail', v.reason);
  return v.reason;
};

function health(fps: number, p99: number): HealthMessage {
  return {
    device: 'dev-1',
    ts: 0,
    uptimeS: 1,
    modelVersion: 'v2',
    executionProvider: 'cpu',
    cameras: [{ camera: 'cam-1', fps, framesDropped: 0 }],
    latencyMs: { p50: 1, p99 },
    outbox: { depth: 0, bytes: 0 },
  };
}

test('each gate failure is attributed to its gate', () => {
  const base = { deviceId: 'dev-1', baseFps: 20, baseLatencyMs: 10 };
  assert.equal(gateOf(recorded(failed(healthGate(base, health(2, 10), 'v2', p)))), 'health');
  assert.equal(gateOf(recorded(failed(healthGate(base, health(20, 500), 'v2', p)))), 'health');
  const flag = failed(flagRateGate({ frames: 10_000, flagged: 10 }, { frames: 10_000, flagged: 5_000 }, p));
  assert.equal(gateOf(recorded(flag)), 'flag-rate');
  const qa = failed(rejectRateGate({ confirmed: 0, rejected: 50 }, { confirmed: 50, rejected: 0 }, p));
  assert.equal(gateOf(recorded(qa)), 'qa');
  const shadow = failed(shadowGate({ frames: 10_000, live: 0.01, candidate: 0.5 }, p));
  assert.equal(gateOf(recorded(`dev-1: ${shadow}`)), 'shadow');

  const at = new Date(0);
  const rollout: RolloutRow = {
    ...{ id: 'r', version: 'v2', parentVersion: 'v1', line: 'line-1', policy: p, state: 'running', phase: 'canary' },
    ...{ wave: 0, waves: 1, waveStartedAt: at, waveLiveAt: null, baseline: null, reason: null, createdBy: 'test' },
    ...{ createdAt: at, updatedAt: at, endedAt: null },
  };
  const target = (over: Partial<TargetRow>): TargetRow => ({
    ...{ rolloutId: 'r', deviceId: 'dev-1', wave: 0, state: 'sent', fromVersion: 'v1', issuedAt: at, liveAt: null },
    ...{ report: null, frames: 0, baseFps: null, baseLatencyMs: null, rolledBackAt: null, updatedAt: at },
    ...over,
  });
  const timeout = installProblem(rollout, [target({})], new Date(86_400_000));
  const broken = installProblem(rollout, [target({ state: 'failed' })], at);
  for (const reason of [timeout, broken]) {
    assert.ok(reason);
    assert.equal(gateOf(`${reason} → rolling back 1 device(s)`), 'install');
  }
  assert.equal(gateOf('something new'), 'other');
});
