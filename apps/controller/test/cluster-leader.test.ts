/**
 * One leader among controller replicas (issue 18), the parts that need no PostgreSQL: the lease state machine
 * (src/cluster/leader.ts) against a scripted lease store — watchdog step-down while the database hangs, a new
 * fence restarts the singletons, a failed start gives the lease up — and build() on SQLite, where the lone (or
 * newest) replica leads and the singletons follow the lease.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { isControllerError } from '../src/errors.js';
import { LeaderLease, type LeaderHooks } from '../src/cluster/leader.js';
import type { AcquiredLease, AcquireOptions } from '../src/store/leases-store.js';
import { openSqliteStore } from '../src/store/open-sqlite.js';
import type { RolloutRow, TargetRow } from '../src/store/rollout-store.js';
import { evaluateGates } from '../src/rollouts/evaluate.js';
import { DEFAULT_POLICY } from '../src/rollouts/policy.js';
import { testApp } from './helpers/http.js';
import { logCapture } from './helpers/log-capture.js';
import { newEvent } from './helpers/store-suite.js';
import { waitFor } from './helpers/mqtt.js';

const silent = pino({ level: 'silent' });

/** A lease store whose answers the test scripts: each acquire takes the next step (a row, null, or 'hang'). */
class ScriptedLeases {
  readonly released: number[] = [];
  private step = 0;
  constructor(private readonly script: Array<number | null | 'hang'>) {}

  acquire(name: string, holder: string, opts: AcquireOptions): Promise<AcquiredLease | null> {
    const next = this.script[Math.min(this.step, this.script.length - 1)]!;
    this.step += 1;
    if (next === 'hang') return new Promise(() => {});
    const now = new Date();
    const expiresAt = new Date(now.getTime() + opts.ttlMs);
    const row = { name, holder, fence: next ?? 0, expiresAt, updatedAt: now, takenFrom: null };
    return Promise.resolve(next === null ? null : row);
  }
  holds(): Promise<boolean> {
    return Promise.resolve(true);
  }
  release(_name: string, _holder: string, fence: number): Promise<boolean> {
    this.released.push(fence);
    return Promise.resolve(true);
  }
}

function recorder(failStart = false): LeaderHooks & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    async elected(fence) {
      events.push(`elected ${fence}`);
      if (failStart) throw new Error('singleton start failed');
    },
    async deposed() {
      events.push('deposed');
    },
  };
}

const opts = (ttlMs: number, renewMs: number) => ({
  name: 'controller',
  replicaId: 'r1',
  ttlMs,
  renewMs,
  preempt: false,
});

test('a leader whose renewals hang steps down by itself, ttl - renew after its last renewal was sent', async () => {
  const leases = new ScriptedLeases([1, 'hang']);
  const hooks = recorder();
  const lease = new LeaderLease(leases, silent, opts(1200, 300), hooks);
  const t0 = performance.now();
  await lease.start();
  try {
    assert.equal(lease.fence, 1);
    assert.deepEqual(hooks.events, ['elected 1']);
    await waitFor(() => hooks.events.includes('deposed'), 5_000, 'watchdog step-down');
    const after = performance.now() - t0;
    assert.equal(lease.fence, null);
    // Due at ttl - renew = 900 ms after the renewal was sent; well before the 1200 ms another replica waits for.
    assert.ok(after >= 850 && after < 1200, `stepped down after ${after.toFixed(0)} ms`);
  } finally {
    await lease.stop({ release: true });
  }
  assert.deepEqual(leases.released, [], 'a lease it no longer holds is not released');
});

test('a new fence restarts the singletons; losing the lease stops them; stop releases what is held', async () => {
  const leases = new ScriptedLeases([1, 1, 2, null, 3]);
  const hooks = recorder();
  const lease = new LeaderLease(leases, silent, opts(5_000, 50), hooks);
  await lease.start();
  await waitFor(() => hooks.events.length >= 5, 5_000, 'transitions');
  assert.deepEqual(hooks.events.slice(0, 5), ['elected 1', 'deposed', 'elected 2', 'deposed', 'elected 3']);
  await lease.stop({ release: true });
  assert.equal(lease.fence, null);
  assert.equal(hooks.events.at(-1), 'deposed');
  assert.deepEqual(leases.released, [3]);
});

test('singletons that fail to start give the lease up at once', async () => {
  const leases = new ScriptedLeases([4, null]);
  const hooks = recorder(true);
  const lease = new LeaderLease(leases, silent, opts(5_000, 1_000), hooks);
  await lease.start();
  try {
    assert.equal(lease.fence, null);
    assert.deepEqual(hooks.events, ['elected 4', 'deposed']);
    assert.deepEqual(leases.released, [4]);
  } finally {
    await lease.stop({ release: true });
  }
});

test('config: cluster.renewMs must be at most half the lease ttl', () => {
  assert.throws(
    () => loadConfig({ env: {}, overrides: { cluster: { leaseTtlMs: 1000, renewMs: 600 } } }),
    (e: unknown) => isControllerError(e, 'LW_CTRL_CONFIG_INVALID') && /renewMs/.test(e.message),
  );
  const c = loadConfig({ env: { LW_CLUSTER_REPLICA_ID: 'ctl-a', LW_CLUSTER_RENEW_MS: '500' }, overrides: {} });
  assert.deepEqual(c.cluster, { replicaId: 'ctl-a', leaseTtlMs: 8000, renewMs: 500 });
});

test('sqlite: a lone replica leads once built (all singletons run); close releases the lease', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-leader-'));
  const store = await openSqliteStore({ path: join(dir, 'db.sqlite'), busyTimeoutMs: 2000 });
  const logs = logCapture('info');
  try {
    const { app } = await testApp({
      store,
      logger: logs.logger,
      overrides: { mqtt: { enabled: true, port: 0 }, cluster: { replicaId: 'solo' } },
    });
    assert.equal(app.cluster.isLeader, true);
    assert.equal(app.cluster.replicaId, 'solo');
    assert.equal(app.cluster.fence, 1);
    assert.deepEqual(app.cluster.singletons, [
      'session-sweep',
      'rollouts',
      'line-convergence',
      'rollout-commands',
      'training-policy',
    ]);
    await app.cluster.assertLeader();
    const line = logs.lines.find((l) => l.msg === 'became leader');
    assert.equal(line?.fence, 1);
    await app.close();
    assert.ok(logs.lines.some((l) => l.msg === 'lost leadership' && l.reason === 'shutting down'));
    const row = await store.leases.get('controller');
    assert.ok(row && row.expiresAt.getTime() <= Date.now(), 'released: expired at once');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite: the newest replica on a file takes over; the older one steps down and refuses rollout actions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-leader-'));
  const path = join(dir, 'db.sqlite');
  const storeA = await openSqliteStore({ path, busyTimeoutMs: 2000 });
  const storeB = await openSqliteStore({ path, busyTimeoutMs: 2000 });
  const cluster = { leaseTtlMs: 2000, renewMs: 100 };
  const mqtt = { enabled: true, port: 0 };
  const a = await testApp({ store: storeA, overrides: { mqtt, cluster: { ...cluster, replicaId: 'a' } } });
  try {
    assert.equal(a.app.cluster.fence, 1);
    const b = await testApp({ store: storeB, overrides: { mqtt, cluster: { ...cluster, replicaId: 'b' } } });
    try {
      assert.equal(b.app.cluster.fence, 2, 'SQLite is one process: the newest replica preempts');
      await waitFor(() => !a.app.cluster.isLeader, 5_000, 'the old leader stepping down');
      await assert.rejects(a.app.cluster.assertLeader(), (e: unknown) => isControllerError(e, 'LW_CTRL_NOT_LEADER'));
      await assert.rejects(a.app.rollouts!.action('nope', 'pause', 'u1'), (e: unknown) =>
        isControllerError(e, 'LW_CTRL_NOT_LEADER'),
      );
      await sleep(300);
      assert.equal(b.app.cluster.isLeader, true, 'no flapping back');
    } finally {
      await b.app.close();
    }
  } finally {
    await a.app.close();
    await storeA.close();
    await storeB.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flag-rate gate: flags raised while no engine counted frames (an uncounted window) are left out', async () => {
  const store = await openSqliteStore({ path: ':memory:', busyTimeoutMs: 2000 });
  try {
    const now = new Date();
    const at = new Date(now.getTime() - 60_000);
    const rollout: RolloutRow = {
      ...{
        id: 'ro-g',
        version: 'v2',
        parentVersion: null,
        line: 'line-1',
        policy: { ...DEFAULT_POLICY, minFrames: 30 },
      },
      ...{ state: 'running', phase: 'canary', wave: 0, waves: 1, waveStartedAt: at, waveLiveAt: null, baseline: null },
      ...{ reason: null, createdBy: 'u1', createdAt: at, updatedAt: at, endedAt: null },
    };
    const target: TargetRow = {
      ...{ rolloutId: 'ro-g', deviceId: 'dev-g', wave: 0, state: 'live', fromVersion: 'v1', issuedAt: at, liveAt: now },
      ...{ report: null, frames: 100, baseFps: null, baseLatencyMs: null, rolledBackAt: null, updatedAt: at },
    };
    await store.rollouts.create(rollout, [target], { at, actor: 'u1', action: 'created', reason: 'r', details: null });
    // 50 flags while a leader was dead (their frames never counted), 1 while an engine counted.
    const gapFrom = new Date(at.getTime() + 10_000);
    for (let i = 0; i < 50; i++)
      await store.events.insertOnce(
        newEvent({ deviceId: 'dev-g', modelVersion: 'v2', ts: new Date(gapFrom.getTime() + i * 10) }),
      );
    await store.events.insertOnce(newEvent({ deviceId: 'dev-g', modelVersion: 'v2', ts: new Date(at.getTime() + 1) }));
    const gates = () =>
      evaluateGates({
        ...{ store: store.rollouts, rollout, targets: [target], fleet: new Map(), pendingFrames: () => 0 },
        ...{ now, violations: new Map() },
      });
    const before = await gates();
    assert.match(before.fail ?? '', /flag rate .*\(51\/100\)/, 'without the window the flags count against 100 frames');
    const window = { from: gapFrom.toISOString(), to: new Date(gapFrom.getTime() + 5_000).toISOString() };
    await store.rollouts.decide({
      ...{ rolloutId: 'ro-g', at: now, actor: 'engine', action: 'resumed', reason: 'r' },
      details: { uncounted: window },
    });
    const after = await gates();
    assert.equal(after.fail, undefined, after.fail);
    assert.match(after.summary, /flag rate .*\(1\/100\)/);
  } finally {
    await store.close();
  }
});
