import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { fromPublication } from '@linewatch/protocol';
import { openSqliteStore } from '../src/store/open-sqlite.js';
import type { Store } from '../src/store/types.js';
import type { App } from '../src/app.js';
import { testApp } from './helpers/http.js';
import { FRAME_H, FRAME_W, birthPub, deathPub, eventPub, healthPub, images, scorePub, statusPub } from './helpers/messages.js';
import { connectDevice, prefix, provision, waitFor, type TestDevice } from './helpers/mqtt.js';

type Pub = { topic: string; payload: Uint8Array; qos: 0 | 1 | 2; retain: boolean };

async function withBroker(fn: (app: App) => Promise<void>, store?: Store, logs?: string[]): Promise<void> {
  const logger = logs ? { level: 'warn', stream: { write: (line: string) => void logs.push(line) } } : false;
  const { app } = await testApp({ overrides: { mqtt: { enabled: true, port: 0 } }, logger, ...(store && { store }) });
  try {
    await fn(app);
  } finally {
    await app.close();
  }
}

async function device(app: App, id: string): Promise<{ d: TestDevice; c: MqttClient; acks: string[][] }> {
  const d = await provision(app.ctx.store, id);
  const c = await connectDevice(app.broker!.port, d);
  const acks: string[][] = [];
  c.on('message', (topic, payload) => {
    const r = fromPublication(topic, payload);
    if (r.kind === 'ack') acks.push([...r.message.eventIds]);
  });
  await c.subscribeAsync(`${prefix(d)}/ack`, { qos: 1 });
  return { d, c, acks };
}

const send = (c: MqttClient, p: Pub) => c.publishAsync(p.topic, Buffer.from(p.payload), { qos: p.qos, retain: p.retain });

async function resultCount(app: App, kind: string, result: string): Promise<number> {
  const m = await app.metrics.ingestMessages.get();
  return m.values.find((v) => v.labels.kind === kind && v.labels.result === result)?.value ?? 0;
}

test('a flagged event is stored once per (device, seq), blobs kept, and acked after commit (again on redelivery)', async () => {
  await withBroker(async (app) => {
    const { d, c, acks } = await device(app, 'dev-1');
    const pub = await eventPub(d, 7);
    await send(c, pub);
    await waitFor(() => acks.length === 1, 5000, 'first ack');
    assert.deepEqual(acks[0], [`evt-dev-1-7`]);
    const rows = await app.ctx.store.listEvents({ limit: 10 });
    assert.equal(rows.length, 1);
    const e = rows[0]!;
    assert.equal(e.deviceId, 'dev-1');
    assert.equal(e.sequence, 7);
    assert.equal(e.line, 'line-1');
    assert.deepEqual([e.frameWidth, e.frameHeight], [FRAME_W, FRAME_H]);
    const { jpeg, map } = await images();
    assert.deepEqual(new Uint8Array(await app.ctx.files.get(e.frameRef)), jpeg);
    assert.deepEqual(new Uint8Array(await app.ctx.files.get(e.mapRef)), map);
    await send(c, pub); // redelivery
    await waitFor(() => acks.length === 2, 5000, 'second ack');
    assert.equal((await app.ctx.store.listEvents({ limit: 10 })).length, 1);
    assert.equal(await resultCount(app, 'event', 'duplicate'), 1);
    await c.endAsync();
  });
});

test('no ack when the store fails; the redelivery after recovery is stored and acked', async () => {
  const inner = await openSqliteStore({ path: ':memory:', busyTimeoutMs: 1000 });
  let failNext = true;
  const store: Store = Object.create(inner, {
    insertEventOnce: {
      value: async (e: Parameters<Store['insertEventOnce']>[0]) => {
        if (failNext) {
          failNext = false;
          throw new Error('disk full');
        }
        return inner.insertEventOnce(e);
      },
    },
  });
  try {
    await withBroker(async (app) => {
      const { d, c, acks } = await device(app, 'dev-2');
      const pub = await eventPub(d, 1);
      await send(c, pub);
      await waitFor(() => failNext === false, 5000, 'attempt');
      await app.ingest!.idle();
      assert.equal(await resultCount(app, 'event', 'store_failed'), 1);
      assert.equal(acks.length, 0);
      await send(c, pub);
      await waitFor(() => acks.length === 1, 5000, 'ack after recovery');
      assert.equal((await inner.listEvents({ limit: 10 })).length, 1);
      await c.endAsync();
    }, store);
  } finally {
    await inner.close();
  }
});

test('invalid messages are rejected with a coded reason and never crash ingest', async () => {
  const logs: string[] = [];
  await withBroker(async (app) => {
    const { d, c, acks } = await device(app, 'dev-3');
    await c.publishAsync(`${prefix(d)}/event/cam-1`, Buffer.from('not an envelope'), { qos: 1 });
    const mismatched = await eventPub(d, 2, { camera: 'cam-2' });
    await c.publishAsync(`${prefix(d)}/event/cam-1`, Buffer.from(mismatched.payload), { qos: 1 });
    // A valid score envelope on the health topic: the kind byte disagrees with the topic.
    await c.publishAsync(`${prefix(d)}/health`, Buffer.from(scorePub(d, 'cam-1', 0, 0.1, Date.now()).payload), { qos: 1 });
    await send(c, await eventPub(d, 3));
    await waitFor(() => acks.length === 1, 5000, 'valid event after invalid ones');
    assert.equal(await resultCount(app, 'event', 'invalid'), 2);
    assert.equal(await resultCount(app, 'health', 'invalid'), 1);
    assert.equal((await app.ctx.store.listEvents({ limit: 10 })).length, 1);
    const rejected = logs.map((l) => JSON.parse(l) as { code?: string; reason?: string }).filter((l) => l.code === 'LW_CTRL_INGEST_INVALID');
    assert.deepEqual(rejected.map((l) => l.reason), ['LW_PROTO_BAD_MAGIC', 'LW_PROTO_TOPIC_MISMATCH', 'LW_PROTO_KIND_MISMATCH']);
    await c.endAsync();
  }, undefined, logs);
});

test('scores are aggregated per device/camera/minute in memory and flushed; events count as flagged', async () => {
  await withBroker(async (app) => {
    const { d, c, acks } = await device(app, 'dev-4');
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    const scores = [0.1, 0.4, 0.3, 0.2];
    for (const [i, s] of scores.entries()) await send(c, scorePub(d, 'cam-1', i, s, minute + i * 1000));
    await send(c, scorePub(d, 'cam-2', 0, 0.5, minute));
    await send(c, await eventPub(d, 1, { ts: minute + 5000 }));
    await waitFor(() => acks.length === 1, 5000, 'event');
    await waitFor(() => app.ingest!.scores.size === 2, 5000, 'scores buffered');
    assert.deepEqual(await app.ctx.store.listScoreAggregates('dev-4', new Date(0), new Date(minute + 60_000)), []);
    await app.ingest!.flushScores();
    const rows = await app.ctx.store.listScoreAggregates('dev-4', new Date(minute), new Date(minute + 60_000));
    assert.equal(rows.length, 2);
    const cam1 = rows.find((r) => r.camera === 'cam-1')!;
    assert.equal(cam1.count, 4);
    assert.ok(Math.abs(cam1.sum / cam1.count - 0.25) < 1e-9);
    assert.equal(cam1.max, 0.4);
    assert.equal(cam1.flagged, 1);
    assert.equal(app.ingest!.scores.size, 0);
    await c.endAsync();
  });
});

test('birth, status, health and death update the fleet view; a stale death is ignored', async () => {
  await withBroker(async (app) => {
    const { d, c } = await device(app, 'dev-5');
    const fleet = () => app.ctx.store.getFleet('dev-5');
    await send(c, birthPub(d, 3));
    await waitForAsync(async () => (await fleet())?.online === true, 'birth');
    assert.equal((await fleet())?.agentVersion, '0.1.0');
    await send(c, statusPub(d, 3));
    await send(c, healthPub(d));
    await waitForAsync(async () => (await fleet())?.health !== null && (await fleet())?.status !== null, 'status+health');
    assert.equal(((await fleet())?.status as { state: string }).state, 'running');
    await send(c, deathPub(d, 2)); // will of an older session
    await waitForAsync(async () => (await resultCount(app, 'death', 'ignored')) === 1, 'stale death processed');
    assert.equal((await fleet())?.online, true, 'stale death must not mark the device offline');
    await send(c, deathPub(d, 3));
    await waitForAsync(async () => (await fleet())?.online === false, 'death');
    await c.endAsync();
  });
});

test('the MQTT will (death) is delivered by the broker when the connection drops', async () => {
  await withBroker(async (app) => {
    const d = await provision(app.ctx.store, 'dev-6');
    const will = deathPub(d, 9);
    const c = await connectDevice(app.broker!.port, d, {
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: false },
    });
    await send(c, birthPub(d, 9));
    await waitForAsync(async () => (await app.ctx.store.getFleet('dev-6'))?.online === true, 'birth');
    c.stream.destroy(); // abrupt loss, not a clean DISCONNECT
    await waitForAsync(async () => (await app.ctx.store.getFleet('dev-6'))?.online === false, 'will');
    await c.endAsync(true);
  });
});

async function waitForAsync(pred: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!(await pred())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
