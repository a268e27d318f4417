/**
 * Ingest through an external broker (Mosquitto): the same topics and acks as with the embedded aedes, and two
 * controller replicas sharing one database split the ingest via an MQTT 5 shared subscription (no event is
 * processed twice, every event is acked exactly once).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import mqtt from 'mqtt';
import { fromPublication } from '@linewatch/protocol';
import { build, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { birthPub, eventPub } from './helpers/messages.js';
import { MOSQUITTO, MOSQUITTO_SKIP, startMosquitto } from './helpers/mosquitto.js';
import { prefix, provision, waitFor } from './helpers/mqtt.js';

const skip = MOSQUITTO ? false : MOSQUITTO_SKIP;
let broker: Awaited<ReturnType<typeof startMosquitto>> = null;
const dir = mkdtempSync(join(tmpdir(), 'lw-ext-'));

before(async () => {
  if (!skip) broker = await startMosquitto();
});
after(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function replica(dataDir: string, sharedGroup: string | null): Promise<App> {
  const config = loadConfig({
    env: {},
    overrides: { dataDir, logLevel: 'silent', mqtt: { mode: 'external', url: broker!.url, sharedGroup } },
  });
  return build({ config, logger: false, onBootstrap: () => {} });
}

async function counts(app: App): Promise<Record<string, number>> {
  const m = await app.metrics.ingestMessages.get();
  return Object.fromEntries(m.values.filter((v) => v.labels.kind === 'event').map((v) => [String(v.labels.result), v.value]));
}

test('external broker: events are stored and acked, births update the fleet', { skip }, async () => {
  const app = await replica(join(dir, 'single'), null);
  const d = await provision(app.ctx.store, 'ext-1');
  const c = await mqtt.connectAsync(broker!.url, { clientId: d.id, reconnectPeriod: 0 });
  try {
    const acks: string[] = [];
    c.on('message', (t, p) => {
      const r = fromPublication(t, p);
      if (r.kind === 'ack') acks.push(...r.message.eventIds);
    });
    await c.subscribeAsync(`${prefix(d)}/ack`, { qos: 1 });
    const birth = birthPub(d, 1);
    await c.publishAsync(birth.topic, Buffer.from(birth.payload), { qos: 1 });
    const ev = await eventPub(d, 1);
    await c.publishAsync(ev.topic, Buffer.from(ev.payload), { qos: 1 });
    await waitFor(() => acks.length === 1, 5000, 'ack via mosquitto');
    assert.equal((await app.ctx.store.listEvents({ limit: 5 })).length, 1);
    assert.equal((await app.ctx.store.getFleet('ext-1'))?.online, true);
  } finally {
    await c.endAsync();
    await app.close();
  }
});

test('external broker: two replicas split the ingest with a shared subscription', { skip }, async () => {
  const shared = join(dir, 'shared');
  const a = await replica(shared, 'ctl');
  const b = await replica(shared, 'ctl');
  const d = await provision(a.ctx.store, 'ext-2');
  const c = await mqtt.connectAsync(broker!.url, { clientId: d.id, reconnectPeriod: 0 });
  const N = 20;
  try {
    const acks: string[] = [];
    c.on('message', (t, p) => {
      const r = fromPublication(t, p);
      if (r.kind === 'ack') acks.push(...r.message.eventIds);
    });
    await c.subscribeAsync(`${prefix(d)}/ack`, { qos: 1 });
    for (let seq = 1; seq <= N; seq++) {
      const ev = await eventPub(d, seq);
      await c.publishAsync(ev.topic, Buffer.from(ev.payload), { qos: 1 });
    }
    await waitFor(() => acks.length >= N, 10_000, 'all acks');
    await new Promise((r) => setTimeout(r, 300)); // a double delivery would show up as extra acks by now
    await Promise.all([a.ingest!.idle(), b.ingest!.idle()]);
    assert.equal(acks.length, N, 'each event acked exactly once');
    assert.equal(new Set(acks).size, N);
    const [ca, cb] = [await counts(a), await counts(b)];
    assert.equal((ca.ok ?? 0) + (cb.ok ?? 0), N);
    assert.equal((ca.duplicate ?? 0) + (cb.duplicate ?? 0), 0, 'no event processed by both replicas');
    assert.ok((ca.ok ?? 0) > 0 && (cb.ok ?? 0) > 0, `both replicas took a share (${ca.ok}/${cb.ok})`);
    assert.equal((await a.ctx.store.listEvents({ limit: 100 })).length, N);
  } finally {
    await c.endAsync();
    await a.close();
    await b.close();
  }
});
