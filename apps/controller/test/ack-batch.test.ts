/**
 * Acks are batched per device (up to the protocol's 1000 ids): a burst of events is released with few ack
 * publications, every id exactly once, and only ids whose rows are committed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromPublication } from '@linewatch/protocol';
import type { Bus, BusPublication } from '../src/broker/bus.js';
import { AckBatcher, MAX_IDS } from '../src/ingest/ack-batcher.js';
import { testApp } from './helpers/http.js';
import { eventPub } from './helpers/messages.js';
import { connectDevice, prefix, provision, waitFor } from './helpers/mqtt.js';

function fakeBus(): Bus & { sent: BusPublication[] } {
  const sent: BusPublication[] = [];
  return {
    sent,
    subscribe: async () => {},
    publish: async (p) => void sent.push(p),
    close: async () => {},
    connected: true,
  };
}
const ids = (p: BusPublication) => {
  const r = fromPublication(p.topic, p.payload);
  assert.equal(r.kind, 'ack');
  return r.kind === 'ack' ? [...r.message.eventIds] : [];
};

test('ack batcher: one ack per device per flush, de-duplicated, split at the protocol limit, flushed by its timer', async () => {
  const ctx = { clock: { now: () => new Date() }, log: { warn: () => {} } };
  const bus = fakeBus();
  const b = new AckBatcher(ctx, bus, 30);
  const a1 = { site: 's', line: 'l', device: 'd1' };
  const a2 = { site: 's', line: 'l', device: 'd2' };
  b.add(a1, 'evt-0001');
  b.add(a1, 'evt-0002');
  b.add(a1, 'evt-0001'); // redelivery in the same window
  b.add(a2, 'evt-0003');
  assert.equal(bus.sent.length, 0, 'nothing sent before a flush');
  await b.drain();
  assert.deepEqual(bus.sent.map(ids), [['evt-0001', 'evt-0002'], ['evt-0003']]);
  assert.ok(bus.sent[0]!.topic.endsWith('/d1/ack'));

  bus.sent.length = 0;
  for (let i = 0; i < MAX_IDS + 5; i++) b.add(a1, `evt-${String(i).padStart(5, '0')}`);
  assert.equal(bus.sent.length, 1, 'a full batch goes out at once');
  assert.equal(ids(bus.sent[0]!).length, MAX_IDS);
  await waitFor(() => bus.sent.length === 2, 1000, 'timer flush of the remainder');
  assert.equal(ids(bus.sent[1]!).length, 5);
});

test('a burst of events is acked in few publications, every id exactly once, all committed', async () => {
  // A long batching delay, so the only flush is the queue draining (fsync time per event varies with the disk).
  const { app } = await testApp({ overrides: { mqtt: { enabled: true, port: 0 }, ingest: { ackMaxDelayMs: 5000 } } });
  try {
    const d = await provision(app.ctx.store, 'batch-1');
    const c = await connectDevice(app.broker!.port, d);
    const acks: string[][] = [];
    c.on('message', (topic, payload) => {
      const r = fromPublication(topic, payload);
      if (r.kind === 'ack') acks.push([...r.message.eventIds]);
    });
    await c.subscribeAsync(`${prefix(d)}/ack`, { qos: 1 });
    const N = 40;
    const pubs = await Promise.all(Array.from({ length: N }, (_, i) => eventPub(d, i + 1)));
    // Straight into ingest, all queued before the first is processed: the burst a reconnecting agent's outbox makes.
    for (const p of pubs) app.ingest!.receive(p.topic, Buffer.from(p.payload));
    await app.ingest!.idle();
    await waitFor(() => acks.flat().length >= N, 5000, 'all acks');
    const all = acks.flat();
    assert.equal(new Set(all).size, N);
    assert.equal(all.length, N, 'no id acked twice');
    assert.equal(acks.length, 1, `batched: ${acks.length} ack publications for ${N} events`);
    const stored = await app.ctx.store.events.list({ limit: 200 });
    assert.equal(stored.length, N);
    await c.endAsync(true);
  } finally {
    await app.close();
  }
});
