/**
 * Ingest validation and event blob writes outside the serial queue (broker-independent). The ingest round trip over each broker (once per (device, seq), ack after
 * commit, store failure, score aggregates, births/deaths/wills) is in the broker conformance suite.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { fromPublication } from '@linewatch/protocol';
import type { App } from '../src/app.js';
import { MemoryFileStore } from '../src/files/file-store.js';
import { openSqliteStore } from '../src/store/open-sqlite.js';
import type { Store } from '../src/store/store.js';
import { testApp } from './helpers/http.js';
import { eventPub, scorePub } from './helpers/messages.js';
import { connectDevice, prefix, provision, waitFor, type TestDevice } from './helpers/mqtt.js';

type Pub = { topic: string; payload: Uint8Array; qos: 0 | 1 | 2; retain: boolean };

async function withBroker(fn: (app: App) => Promise<void>, logs: string[]): Promise<void> {
  const logger = { level: 'warn', stream: { write: (line: string) => void logs.push(line) } };
  const { app } = await testApp({ overrides: { mqtt: { enabled: true, port: 0 } }, logger });
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

const send = (c: MqttClient, p: Pub) =>
  c.publishAsync(p.topic, Buffer.from(p.payload), { qos: p.qos, retain: p.retain });

async function resultCount(app: App, kind: string, result: string): Promise<number> {
  const m = await app.metrics.ingestMessages.get();
  return m.values.find((v) => v.labels.kind === kind && v.labels.result === result)?.value ?? 0;
}

test('invalid messages are rejected with a coded reason and never crash ingest', async () => {
  const logs: string[] = [];
  await withBroker(async (app) => {
    const { d, c, acks } = await device(app, 'dev-3');
    await c.publishAsync(`${prefix(d)}/event/cam-1`, Buffer.from('not an envelope'), { qos: 1 });
    const mismatched = await eventPub(d, 2, { camera: 'cam-2' });
    await c.publishAsync(`${prefix(d)}/event/cam-1`, Buffer.from(mismatched.payload), { qos: 1 });
    // A valid score envelope on the health topic: the kind byte disagrees with the topic.
    await c.publishAsync(`${prefix(d)}/health`, Buffer.from(scorePub(d, 'cam-1', 0, 0.1, Date.now()).payload), {
      qos: 1,
    });
    await send(c, await eventPub(d, 3));
    await waitFor(() => acks.length === 1, 5000, 'valid event after invalid ones');
    assert.equal(await resultCount(app, 'event', 'invalid'), 2);
    assert.equal(await resultCount(app, 'health', 'invalid'), 1);
    assert.equal((await app.ctx.store.events.list({ limit: 10 })).length, 1);
    const rejected = logs
      .map((l) => JSON.parse(l) as { code?: string; reason?: string })
      .filter((l) => l.code === 'LW_CTRL_INGEST_INVALID');
    assert.deepEqual(
      rejected.map((l) => l.reason),
      ['LW_PROTO_BAD_MAGIC', 'LW_PROTO_TOPIC_MISMATCH', 'LW_PROTO_KIND_MISMATCH'],
    );
    await c.endAsync();
  }, logs);
});

/** Blob puts that take a while (like S3 round trips), counted; `failNext` makes the next put fail once. */
class SlowFiles extends MemoryFileStore {
  inFlight = 0;
  maxInFlight = 0;
  failNext = false;

  override async put(bytes: Uint8Array): Promise<string> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 150));
      if (this.failNext) {
        this.failNext = false;
        throw new Error('blob store unreachable');
      }
      return await super.put(bytes);
    } finally {
      this.inFlight -= 1;
    }
  }
}

test('event blobs are written concurrently (≤ ingest.blobConcurrency); rows commit in receive order and are acked only after commit; a failed blob write is not acked and its resend is stored once', async () => {
  const inner = await openSqliteStore({ path: ':memory:', busyTimeoutMs: 1000 });
  const committed: number[] = [];
  const events: Store['events'] = Object.create(inner.events, {
    insertOnce: {
      value: async (e: Parameters<Store['events']['insertOnce']>[0]) => {
        const r = await inner.events.insertOnce(e);
        committed.push(e.sequence);
        return r;
      },
    },
  });
  const store: Store = Object.create(inner, { events: { value: events } });
  const files = new SlowFiles();
  const overrides = { mqtt: { enabled: true, port: 0 }, ingest: { blobConcurrency: 4 } };
  const { app } = await testApp({ overrides, store, files });
  try {
    const { d, c, acks } = await device(app, 'dev-blobs');
    const seqs = [1, 2, 3, 4, 5, 6, 7, 8];
    const pubs = await Promise.all(seqs.map((seq) => eventPub(d, seq)));
    const ackedBeforeCommit: string[] = [];
    c.on('message', (topic, payload) => {
      const r = fromPublication(topic, payload);
      if (r.kind !== 'ack') return;
      const rows = new Set(committed.map((seq) => `evt-${d.id}-${seq}`));
      ackedBeforeCommit.push(...r.message.eventIds.filter((id) => !rows.has(id)));
    });
    files.failNext = true;
    await Promise.all(pubs.map((p) => send(c, p)));
    await waitFor(() => committed.length === 7, 15_000, 'seven rows');
    await app.ingest!.idle();
    const failed = seqs.filter((seq) => !committed.includes(seq));
    assert.equal(failed.length, 1, `committed ${committed.join(',')}`);
    assert.deepEqual(
      committed,
      [...committed].sort((a, b) => a - b),
      'rows commit in receive order',
    );
    assert.ok(files.maxInFlight > 2, `puts of several events overlap (max ${files.maxInFlight} at once)`);
    assert.ok(files.maxInFlight <= 4, `at most ingest.blobConcurrency puts at once (max ${files.maxInFlight})`);
    assert.equal(await resultCount(app, 'event', 'store_failed'), 1);
    const failedId = `evt-${d.id}-${failed[0]}`;
    assert.ok(!acks.flat().includes(failedId), 'an event whose blob write failed was acked');
    assert.equal(new Set(acks.flat()).size, 7);
    await send(c, pubs[failed[0]! - 1]!); // the agent's resend
    await waitFor(() => acks.flat().includes(failedId), 15_000, 'ack of the resend');
    await send(c, pubs[0]!); // and a duplicate of one already stored
    await waitFor(() => acks.flat().filter((id) => id === `evt-${d.id}-1`).length === 2, 15_000, 'duplicate re-acked');
    assert.equal((await inner.events.list({ limit: 20 })).length, 8);
    assert.equal(await resultCount(app, 'event', 'duplicate'), 1);
    assert.deepEqual(ackedBeforeCommit, []);
    await c.endAsync();
  } finally {
    await app.close();
    await inner.close();
  }
});
