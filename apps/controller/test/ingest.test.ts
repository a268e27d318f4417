/**
 * Ingest validation (broker-independent). The ingest round trip over each broker (once per (device, seq), ack after
 * commit, store failure, score aggregates, births/deaths/wills) is in the broker conformance suite.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { fromPublication } from '@linewatch/protocol';
import type { App } from '../src/app.js';
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
