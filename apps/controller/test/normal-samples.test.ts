/**
 * Sampled normal frames (event header `sampled: true`, issue #7): stored once per (device, seq) as NormalSample rows
 * and acked after commit like events, never as Events (QA queue, label stats, flag counts); bounded per
 * (line, camera); taken into dataset snapshots as `normal` items.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { fromPublication } from '@linewatch/protocol';
import type { DatasetManifest, JobView, TrainingLineView } from '@linewatch/protocol/http';
import { encodeJpeg } from '@linewatch/vision';
import type { App } from '../src/app.js';
import type { ConfigInput } from '../src/config.js';
import { refOf } from '../src/files/file-store.js';
import { login, testApp, type Session } from './helpers/http.js';
import { MemoryModels, WORKER_TOKEN, claimOf, many, seedEvents, workerClient } from './helpers/jobs.js';
import { FRAME_H, FRAME_W, eventPub } from './helpers/messages.js';
import { connectDevice, prefix, provision, waitFor, type TestDevice } from './helpers/mqtt.js';

const open: App[] = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  while (clients.length) await clients.pop()?.endAsync();
  while (open.length) await open.pop()?.close();
});

async function setup(over: Pick<ConfigInput, 'ingest' | 'jobs'> = {}) {
  const models = new MemoryModels();
  models.live.set('line-1', 'base-1');
  models.packages.set('base-1', Buffer.from('parent package tar'));
  const t = await testApp({
    jobModels: models,
    overrides: {
      mqtt: { enabled: true, port: 0 },
      ingest: { ...over.ingest },
      jobs: { workerToken: WORKER_TOKEN, autoTriggerMinMasks: null, ...over.jobs },
    },
  });
  open.push(t.app);
  const admin = await login(t.app, 'admin', t.adminPassword);
  return { app: t.app, admin };
}

async function device(app: App, id: string): Promise<{ d: TestDevice; c: MqttClient; acked: string[] }> {
  const d = await provision(app.ctx.store, id);
  const c = await connectDevice(app.broker!.port, d);
  clients.push(c);
  const acked: string[] = [];
  c.on('message', (topic, payload) => {
    const r = fromPublication(topic, payload);
    if (r.kind === 'ack') acked.push(...r.message.eventIds);
  });
  await c.subscribeAsync(`${prefix(d)}/ack`, { qos: 1 });
  return { d, c, acked };
}

/** A distinct, valid JPEG per n (so retention can be seen deleting blobs). */
async function frame(n: number): Promise<Uint8Array> {
  const rgb = new Uint8Array(FRAME_W * FRAME_H * 3).map((_, i) => (i * 5 + n * 41) % 256);
  return new Uint8Array(await encodeJpeg({ width: FRAME_W, height: FRAME_H, channels: 3, data: rgb }));
}

async function sendSample(c: MqttClient, d: TestDevice, seq: number, over: Parameters<typeof eventPub>[2] = {}) {
  const p = await eventPub(d, seq, { sampled: true, score: 0.1, ts: Date.UTC(2026, 10, 28, 12) + seq, ...over });
  await c.publishAsync(p.topic, Buffer.from(p.payload), { qos: 1 });
  return fromPublication(p.topic, Buffer.from(p.payload)).message as { eventId: string };
}

const get = (app: App, s: Session, url: string) => app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });

test('a sampled frame is stored once as a normal sample and acked; never an event, never in the queue or label stats', async () => {
  const { app, admin } = await setup();
  const { d, c, acked } = await device(app, 'dev-s1');
  const samples = app.ctx.store.samples;
  const m = await sendSample(c, d, 1);
  await waitFor(() => acked.length === 1, 5000, 'ack of the sample');
  assert.deepEqual(acked, [m.eventId]);
  // Redelivery (the first ack was lost): stored once, acked again.
  await sendSample(c, d, 1);
  await waitFor(() => acked.length === 2, 5000, 'ack of the redelivery');
  assert.deepEqual(acked, [m.eventId, m.eventId]);
  assert.equal(await samples.count(), 1);
  const [row] = await samples.list();
  assert.ok(row);
  assert.deepEqual(
    { line: row.line, camera: row.camera, seq: row.sequence, score: row.score, w: row.frameWidth, h: row.frameHeight },
    { line: 'line-1', camera: 'cam-1', seq: 1, score: 0.1, w: FRAME_W, h: FRAME_H },
  );
  assert.ok(await app.ctx.files.has(row.frameRef));

  // A flagged event next to it is an event as before.
  const ev = await eventPub(d, 2);
  await c.publishAsync(ev.topic, Buffer.from(ev.payload), { qos: 1 });
  await waitFor(() => acked.length === 3, 5000, 'ack of the flagged event');
  await app.ingest!.idle();
  await app.ingest!.flushScores();

  const events = (await get(app, admin, '/api/events')).json() as { events: Array<{ sequence?: number; id: string }> };
  assert.equal(events.events.length, 1, 'only the flagged event is listed');
  assert.equal((await app.ctx.store.events.list({ limit: 10, status: 'pending' })).length, 1, 'review queue');
  assert.deepEqual(await app.ctx.store.events.labelStats(), [{ line: 'line-1', status: 'pending', count: 1 }]);
  const aggs = await app.ctx.store.scores.list(d.id, new Date(0), new Date(Date.now() + 86_400_000));
  assert.equal(
    aggs.reduce((n, a) => n + a.flagged, 0),
    1,
    'the sample adds no flag count',
  );
});

test('retention: at most ingest.maxNormalSamples per (line, camera), the oldest deleted with their frames', async () => {
  const { app } = await setup({ ingest: { maxNormalSamples: 3 } });
  const { d, c, acked } = await device(app, 'dev-s2');
  const samples = app.ctx.store.samples;
  const jpegs = await Promise.all([1, 2, 3, 4, 5].map(frame));
  for (let i = 0; i < 5; i++) await sendSample(c, d, i + 1, { jpeg: jpegs[i]! });
  await sendSample(c, d, 6, { camera: 'cam-2', jpeg: jpegs[0]! });
  await waitFor(() => acked.length === 6, 5000, 'acks of all samples');
  await app.ingest!.idle();
  assert.equal(await samples.count({ line: 'line-1', camera: 'cam-1' }), 3);
  assert.equal(await samples.count({ line: 'line-1', camera: 'cam-2' }), 1, 'bound is per camera');
  const kept = (await samples.list({ camera: 'cam-1' })).reverse(); // oldest first (ts grows with the sequence)
  assert.deepEqual(
    kept.map((k) => k.sequence),
    [3, 4, 5],
    'the newest are kept',
  );
  assert.equal(await app.ctx.files.has(refOf(jpegs[1]!)), false, 'a pruned frame is deleted');
  assert.equal(await app.ctx.files.has(refOf(jpegs[0]!)), true, 'a frame another sample still uses is kept');
  for (const k of kept) assert.ok(await app.ctx.files.has(k.frameRef));
});

test('a snapshot takes the newest jobs.maxNormalSamples samples as normal items; training-line counts include them', async () => {
  const { app, admin } = await setup({ jobs: { maxNormalSamples: 4 } });
  const { d, c, acked } = await device(app, 'dev-s3');
  for (let i = 1; i <= 6; i++) await sendSample(c, d, i, { jpeg: await frame(i) });
  await waitFor(() => acked.length === 6, 5000, 'acks of all samples');
  await app.ingest!.idle();
  const rejected = await seedEvents(app, [
    ...many(3, { line: 'line-1', label: 'confirmed', mask: true }),
    ...many(2, { line: 'line-1', label: 'rejected' }),
  ]).then((ids) => ids.slice(3));
  const newest = (await app.ctx.store.samples.list()).slice(0, 4).map((s) => s.id);

  const lines = (await get(app, admin, '/api/training/lines')).json() as { lines: TrainingLineView[] };
  // Sampled normals and rejected false alarms are both normal, and counted apart (neither reported as the other).
  assert.deepEqual(lines.lines.find((l) => l.line === 'line-1')?.counts, {
    px: 3,
    img: 0,
    normal: 6,
    rejected: 2,
    sampled: 4,
  });

  const res = await app.inject({
    method: 'POST',
    url: '/api/jobs',
    headers: admin.headers,
    payload: { line: 'line-1' },
  });
  assert.equal(res.statusCode, 201, res.body);
  const job = res.json() as JobView;
  const worker = workerClient(app);
  const claim = claimOf(await worker.claim('w1'));
  assert.equal(claim.job.id, job.id);
  const manifest = (await worker.get(claim.manifestUrl)).json() as DatasetManifest;
  const normals = manifest.items.filter((i) => i.kind === 'normal');
  assert.deepEqual(normals.map((i) => i.id).sort(), [...rejected, ...newest].sort());
  // Each item says where its label came from, so the worker counts rejected false alarms apart from sampled normals.
  const originOf = new Map(manifest.items.map((i) => [i.id, i.origin]));
  for (const id of rejected) assert.equal(originOf.get(id), 'rejected');
  for (const id of newest) assert.equal(originOf.get(id), 'sampled-normal');
  assert.deepEqual(
    manifest.items.filter((i) => i.kind === 'px').map((i) => i.origin),
    ['confirmed-mask', 'confirmed-mask', 'confirmed-mask'],
  );
  const sc = manifest.snapshot.counts;
  assert.deepEqual(
    [(sc.train.rejected ?? 0) + (sc.heldout.rejected ?? 0), (sc.train.sampled ?? 0) + (sc.heldout.sampled ?? 0)],
    [2, 4],
  );
  for (const n of normals) {
    assert.equal(n.label, 0);
    assert.equal(n.maskUrl, null);
    const img = await worker.get(n.imageUrl);
    assert.equal(img.statusCode, 200);
  }
  assert.ok(normals.some((n) => n.split === 'heldout') && normals.some((n) => n.split === 'train'));
});
