/**
 * What /metrics exports from the database: per-device gauges from the fleet rows (every scrape), and the cached
 * aggregates (QA queue and labels per line, jobs, rollouts, gate verdicts by gate); a failing database drops those
 * series and is counted instead of failing the scrape; failed blob operations are counted by op.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../src/app.js';
import { ManualClock } from '../src/clock.js';
import { MemoryFileStore } from '../src/files/file-store.js';
import { DEFAULT_POLICY } from '../src/rollouts/policy.js';
import type { RolloutState } from '../src/store/rollout-store.js';
import { testApp } from './helpers/http.js';
import { MemoryModels, many, seedEvents } from './helpers/jobs.js';
import { provision } from './helpers/mqtt.js';
import { valueOf, values } from './helpers/prom-text.js';

async function scrape(app: App): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200, res.body);
  return res.body;
}

async function addRollout(app: App, id: string, state: RolloutState, phase: string): Promise<void> {
  const at = app.ctx.clock.now();
  await app.ctx.store.rollouts.create(
    {
      ...{ id, version: `v-${id}`, parentVersion: 'v1', line: 'line-a', policy: { ...DEFAULT_POLICY } },
      ...{ state, phase, wave: 0, waves: 2, waveStartedAt: null, waveLiveAt: null },
      ...{ baseline: null, reason: null, createdBy: 'test', createdAt: at, updatedAt: at, endedAt: null },
    },
    [],
    { at, actor: 'test', action: 'created', reason: 'test', details: null },
  );
}

test('per-device gauges come from the fleet rows: up, last seen, info, fps and drops per camera, latency, outbox', async () => {
  const { app } = await testApp();
  try {
    await provision(app.ctx.store, 'press-1', 'line-a');
    await provision(app.ctx.store, 'press-2', 'line-a');
    const now = app.ctx.clock.now();
    const health = {
      executionProvider: 'cuda',
      cameras: [
        { camera: 'cam-1', fps: 24.5, framesDropped: 3 },
        { camera: 'cam-2', fps: 12, framesDropped: 0 },
      ],
      latencyMs: { p50: 7, p99: 31 },
      outbox: { depth: 17, bytes: 40960 },
    };
    const fleet = app.ctx.store.fleet;
    await fleet.upsert(
      'press-1',
      { online: true, lastSeen: now, agentVersion: '1.2.0', modelVersion: 'v7', health },
      now,
    );
    await fleet.upsert(
      'press-2',
      { online: false, lastSeen: now, agentVersion: '1.2.0', modelVersion: 'v6', health },
      now,
    );
    const m = await scrape(app);
    const p1 = { device: 'press-1', line: 'line-a' };
    assert.equal(valueOf(m, 'lw_device_up', p1), 1);
    assert.equal(valueOf(m, 'lw_device_last_seen_timestamp_seconds', p1), now.getTime() / 1000);
    assert.equal(
      valueOf(m, 'lw_device_info', { ...p1, provider: 'cuda', model_version: 'v7', agent_version: '1.2.0' }),
      1,
    );
    assert.equal(valueOf(m, 'lw_device_fps', { ...p1, camera: 'cam-1' }), 24.5);
    assert.equal(valueOf(m, 'lw_device_fps', { ...p1, camera: 'cam-2' }), 12);
    assert.equal(valueOf(m, 'lw_device_frames_dropped', { ...p1, camera: 'cam-1' }), 3);
    assert.equal(valueOf(m, 'lw_device_latency_ms', { ...p1, quantile: '0.5' }), 7);
    assert.equal(valueOf(m, 'lw_device_latency_ms', { ...p1, quantile: '0.99' }), 31);
    assert.equal(valueOf(m, 'lw_device_outbox_depth', p1), 17);
    assert.equal(valueOf(m, 'lw_device_outbox_bytes', p1), 40960);
    // Offline: presence only; its last health is not current.
    const p2 = { device: 'press-2' };
    assert.equal(valueOf(m, 'lw_device_up', p2), 0);
    assert.equal(valueOf(m, 'lw_device_info', { ...p2, model_version: 'v6' }), 1);
    for (const name of ['lw_device_fps', 'lw_device_latency_ms', 'lw_device_outbox_depth', 'lw_device_degraded'])
      assert.deepEqual(values(m, name, p2), [], name);

    // A removed device leaves no series behind.
    await app.ctx.store.devices.delete('press-1');
    assert.deepEqual(values(await scrape(app), 'lw_device_up', p1), []);
  } finally {
    await app.close();
  }
});

test('database aggregates: QA queue and labels per line, jobs, job durations, rollouts, gate verdicts; cached', async () => {
  const clock = new ManualClock(Date.now());
  const models = new MemoryModels();
  models.live.set('line-a', 'v1');
  const { app } = await testApp({ clock, jobModels: models });
  try {
    await seedEvents(app, [
      ...many(2, { line: 'line-a', label: 'pending' }),
      ...many(2, { line: 'line-a', label: 'confirmed', mask: true }),
      { line: 'line-a', label: 'confirmed' },
      { line: 'line-a', label: 'rejected' },
      { line: 'line-b', label: 'pending' },
    ]);
    const job = await app.jobs.service.createJob('line-a', 'manual');
    clock.advance(90_000);
    await app.jobs.service.cancel(job.id, 'admin');
    await addRollout(app, 'ro-1', 'running', 'canary');
    await addRollout(app, 'ro-2', 'rolled-back', 'done');
    const decide = (action: string, reason: string) =>
      app.ctx.store.rollouts.decide({
        rolloutId: 'ro-2',
        at: clock.now(),
        actor: 'engine',
        action,
        reason,
        details: null,
      });
    await decide('gates-passed', 'health: 1 device(s) within bounds; flag rate 1.00% …');
    await decide('gate-failed', 'gate failed: flag rate 9.00% (9/100) vs … → rolling back 1 device(s)');
    await decide('gate-failed', 'install timeout: dev-1 not live 600 s after the command → rolling back 1 device(s)');

    const m = await scrape(app);
    assert.equal(valueOf(m, 'lw_qa_queue_depth', { line: 'line-a' }), 2);
    assert.equal(valueOf(m, 'lw_qa_queue_depth', { line: 'line-b' }), 1);
    assert.equal(valueOf(m, 'lw_qa_labels', { line: 'line-a', label: 'confirmed' }), 3);
    assert.equal(valueOf(m, 'lw_qa_labels', { line: 'line-a', label: 'rejected' }), 1);
    assert.equal(valueOf(m, 'lw_qa_labels', { line: 'line-a', label: 'masks' }), 2);
    assert.equal(valueOf(m, 'lw_qa_labels', { line: 'line-b', label: 'masks' }), 0);
    assert.equal(valueOf(m, 'lw_jobs', { line: 'line-a', status: 'cancelled' }), 1);
    const job90 = { line: 'line-a', status: 'cancelled' };
    assert.equal(valueOf(m, 'lw_job_duration_seconds_count', job90), 1);
    assert.equal(valueOf(m, 'lw_job_duration_seconds_sum', job90), 90);
    assert.equal(valueOf(m, 'lw_job_duration_seconds_bucket', { ...job90, le: '60' }), 0);
    assert.equal(valueOf(m, 'lw_job_duration_seconds_bucket', { ...job90, le: '300' }), 1);
    assert.equal(valueOf(m, 'lw_rollouts', { state: 'running' }), 1);
    assert.equal(valueOf(m, 'lw_rollouts', { state: 'rolled-back' }), 1);
    assert.equal(valueOf(m, 'lw_rollouts', { state: 'aborted' }), 0, 'every state present');
    assert.equal(valueOf(m, 'lw_rollout_active', { line: 'line-a', version: 'v-ro-1', phase: 'canary' }), 0);
    assert.deepEqual(values(m, 'lw_rollout_active', { version: 'v-ro-2' }), [], 'only active rollouts');
    const gate = (result: string, g: string) => valueOf(m, 'lw_rollout_gate_decisions', { result, gate: g });
    assert.equal(gate('passed', 'all'), 1);
    assert.equal(gate('failed', 'flag-rate'), 1);
    assert.equal(gate('failed', 'install'), 1);
    assert.equal(gate('failed', 'qa'), 0);

    // Cached for metrics.cacheMs (5 s by default): a new pending event shows after the cache expires.
    await seedEvents(app, [{ line: 'line-b', label: 'pending' }]);
    assert.equal(valueOf(await scrape(app), 'lw_qa_queue_depth', { line: 'line-b' }), 1);
    clock.advance(5_001);
    assert.equal(valueOf(await scrape(app), 'lw_qa_queue_depth', { line: 'line-b' }), 2);
  } finally {
    await app.close();
  }
});

test('a failing database drops its series from the scrape and counts the failure; the scrape still answers', async () => {
  const { app } = await testApp({ overrides: { metrics: { cacheMs: 0 } } });
  try {
    await provision(app.ctx.store, 'press-1', 'line-a');
    const now = app.ctx.clock.now();
    await app.ctx.store.fleet.upsert('press-1', { online: true, lastSeen: now }, now);
    await seedEvents(app, [{ line: 'line-a', label: 'pending' }]);
    const m0 = await scrape(app);
    assert.equal(valueOf(m0, 'lw_device_up', { device: 'press-1' }), 1);
    assert.equal(valueOf(m0, 'lw_qa_queue_depth', { line: 'line-a' }), 1);
    assert.equal(valueOf(m0, 'lw_metrics_refresh_failures_total'), 0);
    const down = async (): Promise<never> => {
      throw new Error('database is down');
    };
    Object.assign(app.ctx.store.fleet, { list: down });
    Object.assign(app.ctx.store.events, { labelStats: down });
    const m = await scrape(app);
    assert.deepEqual(values(m, 'lw_device_up'), []);
    assert.deepEqual(values(m, 'lw_qa_queue_depth'), []);
    assert.equal(valueOf(m, 'lw_metrics_refresh_failures_total'), 2, 'fleet and aggregates: one failure each');
    assert.ok(values(m, 'lw_controller_process_cpu_seconds_total').length === 1, 'process metrics still there');
  } finally {
    await app.close();
  }
});

test('failed blob operations are counted by op; a missing blob is not a store error', async () => {
  const files = new MemoryFileStore();
  const { app } = await testApp({ files });
  try {
    Object.assign(files, {
      put: async () => {
        throw new Error('EIO: disk gone');
      },
    });
    await assert.rejects(app.ctx.files.put(new Uint8Array([1])), /EIO/);
    await assert.rejects(app.ctx.files.get('0'.repeat(64)), { code: 'LW_CTRL_BLOB_NOT_FOUND' });
    const m = await scrape(app);
    assert.equal(valueOf(m, 'lw_blob_errors_total', { op: 'put' }), 1);
    assert.equal(valueOf(m, 'lw_blob_errors_total', { op: 'get' }), 0, 'every op starts at 0');
  } finally {
    await app.close();
  }
});
