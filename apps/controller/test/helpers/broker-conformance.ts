/**
 * ONE broker conformance suite, run against every broker the controller supports (conformance-aedes.test.ts: the
 * embedded aedes; conformance-mosquitto.test.ts: Debian's Mosquitto with the dynamic-security plugin). Every device
 * is provisioned through the HTTP API, so the same cases prove that the broker learned the credentials and ACLs
 * from the controller: authentication (good/bad/disabled), publish and subscribe ACLs (asserted at a subscriber,
 * never by PUBACK: MQTT 3.1.1 brokers may acknowledge a publish they drop), client-id takeover, the ingest round
 * trip (once per (device, seq), ack only after commit, score aggregates), births/deaths/wills, and retained
 * desired-state publishing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { fromPublication, toPublication, type QoS } from '@linewatch/protocol';
import type { App } from '../../src/app.js';
import type { Bus } from '../../src/broker/bus.js';
import { openSqliteStore } from '../../src/store/open-sqlite.js';
import type { Store } from '../../src/store/store.js';
import { login, type Session } from './http.js';
import { FRAME_H, FRAME_W, birthPub, deathPub, eventPub, healthPub, images, scorePub, statusPub } from './messages.js';
import { closed, connect, prefix, waitFor, type TestDevice } from './mqtt.js';

/** A controller wired to the broker under test. */
export interface BrokerHarness {
  app: App;
  adminPassword: string;
  /** Where devices connect (mqtt://127.0.0.1:port). */
  port: number;
  /** Sees every publication on the broker (the embedded broker in-process; a test superuser on Mosquitto). */
  observer: Bus;
  /** Publishes the way the controller does (its own Bus). */
  controllerBus: Bus;
  close(): Promise<void>;
}

export interface BrokerKit {
  /** A fresh controller on this broker; with `store`, on that store (owned by the caller). */
  controller(opts?: { store?: Store }): Promise<BrokerHarness>;
  close(): Promise<void>;
}

/** A device provisioned through the HTTP API: the credentials the API showed once. */
export interface ApiDevice extends TestDevice {
  clientId: string;
}

const REFUSED = /Bad username or password|Identifier rejected|Not authorized/i;

export async function provisionViaApi(
  h: BrokerHarness,
  admin: Session,
  id: string,
  line = 'line-1',
): Promise<ApiDevice> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/devices',
    headers: admin.headers,
    payload: { id, name: id, site: 'plant-a', line },
  });
  assert.equal(res.statusCode, 201, res.body);
  const { credentials } = res.json() as {
    credentials: { username: string; password: string; clientId: string; topicPrefix: string };
  };
  const d: ApiDevice = { id, site: 'plant-a', line, secret: credentials.password, clientId: credentials.clientId };
  assert.equal(credentials.topicPrefix, prefix(d));
  return d;
}

export function describeBrokerConformance(
  name: string,
  makeKit: () => Promise<BrokerKit>,
  opts: { skip?: string | false } = {},
): void {
  describe(`broker conformance: ${name}`, { skip: opts.skip ?? false }, () => {
    let kit: BrokerKit;
    let h: BrokerHarness;
    let admin: Session;
    const seen: Array<{ topic: string; payload: Buffer }> = [];
    const clients: MqttClient[] = [];
    const saw = (topic: string): boolean => seen.some((s) => s.topic === topic);

    before(async () => {
      kit = await makeKit();
      h = await kit.controller();
      admin = await login(h.app, 'admin', h.adminPassword);
      await h.observer.subscribe('#', (topic, payload) => seen.push({ topic, payload }), 1);
    });
    after(async () => {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await h?.close();
      await kit?.close();
    });

    const track = async (p: Promise<MqttClient>): Promise<MqttClient> => {
      const c = await p;
      clients.push(c);
      return c;
    };
    const connectAs = (d: ApiDevice, extra: Partial<Parameters<typeof connect>[1]> = {}, port = h.port) =>
      track(connect(port, { clientId: d.clientId, username: d.id, password: d.secret, ...extra }));
    const refused = (o: Parameters<typeof connect>[1]) =>
      assert.rejects(
        connect(h.port, o),
        REFUSED,
        `connect ${JSON.stringify({ ...o, password: o.password ? '…' : undefined })}`,
      );
    const disable = (id: string) =>
      h.app.inject({ method: 'POST', url: `/api/devices/${id}/disable`, headers: admin.headers });

    test('authentication: only the provisioned credentials with the device’s own client id', async () => {
      const a = await provisionViaApi(h, admin, 'auth-a');
      const b = await provisionViaApi(h, admin, 'auth-b', 'line-2');
      const ok = await connectAs(a);
      assert.equal(ok.connected, true);
      await refused({ clientId: a.clientId, username: a.id, password: 'wrong' });
      await refused({ clientId: a.clientId, username: a.id, password: b.secret });
      await refused({ clientId: 'lw-agent-ghost', username: 'ghost', password: 'x' });
      await refused({ clientId: a.clientId }); // anonymous
      await refused({ clientId: a.clientId, username: b.id, password: b.secret }); // B's credentials, A's client id
      await refused({ clientId: b.clientId, username: a.id, password: a.secret });
      await refused({ clientId: `${a.clientId}-2`, username: a.id, password: a.secret });
      const marker = `${prefix(a)}/health`;
      await ok.publishAsync(marker, Buffer.from('x'), { qos: 1 });
      await waitFor(() => saw(marker), 3000, 'auth-a publishing');
    });

    test('a device disabled through the API is disconnected and refused', async () => {
      const c = await provisionViaApi(h, admin, 'auth-c');
      const live = await connectAs(c);
      const gone = closed(live);
      const res = await disable(c.id);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().disabled, true);
      await gone;
      await refused({ clientId: c.clientId, username: c.id, password: c.secret });
      assert.equal((await disable(c.id)).statusCode, 200, 'disabling again is harmless');
      assert.equal((await disable('no-such-device')).statusCode, 404);
    });

    test('ACL: a device publishes only agent→controller kinds under its own prefix (asserted at a subscriber)', async () => {
      const a = await provisionViaApi(h, admin, 'pub-a');
      const b = await provisionViaApi(h, admin, 'pub-b', 'line-2');
      const forbidden = [
        `${prefix(b)}/event/cam-1`, // another device's topic
        `${prefix(b)}/birth`,
        `${prefix(a)}/ack`, // a controller→agent kind under its own prefix
        `${prefix(a)}/cfg/threshold/cam-1`,
        `${prefix(a)}/cmd/model`,
        `${prefix(a)}/other`,
        'elsewhere/topic',
      ];
      for (const topic of forbidden) {
        // A fresh connection each time: aedes closes the connection, Mosquitto acknowledges and drops.
        const c = await connectAs(a);
        await Promise.race([
          closed(c),
          new Promise<void>((resolve) => c.publish(topic, Buffer.from('spoof'), { qos: 1 }, () => resolve())),
        ]);
        await c.endAsync(true);
      }
      const own = `${prefix(a)}/event/cam-1`;
      const ca = await connectAs(a);
      await ca.publishAsync(own, Buffer.from('mine'), { qos: 1 });
      const cb = await connectAs(b);
      const marker = `${prefix(b)}/status`;
      await cb.publishAsync(marker, Buffer.from('ok'), { qos: 1 });
      await waitFor(() => saw(own) && saw(marker), 3000, 'own publish and marker');
      await new Promise((r) => setTimeout(r, 200)); // anything forbidden would have arrived by now
      for (const topic of forbidden)
        assert.equal(saw(topic), false, `forbidden publish reached a subscriber: ${topic}`);
    });

    test('ACL: a device subscribes only to its own command topics; # and other devices’ topics are refused', async () => {
      const a = await provisionViaApi(h, admin, 'sub-a');
      const b = await provisionViaApi(h, admin, 'sub-b', 'line-2');
      const ca = await connectAs(a);
      const got: string[] = [];
      ca.on('message', (t) => got.push(t));
      const own = [`${prefix(a)}/ack`, `${prefix(a)}/cfg/threshold/+`, `${prefix(a)}/cmd/model`];
      const granted = await ca.subscribeAsync(own, { qos: 1 });
      assert.deepEqual(
        granted.map((g) => g.qos),
        [1, 1, 1],
      );
      for (const filter of [
        '#',
        'linewatch/#',
        `${prefix(b)}/ack`,
        'linewatch/v1/+/+/+/ack',
        `${prefix(a)}/event/+`,
        `${prefix(a)}/#`,
      ]) {
        await assert.rejects(ca.subscribeAsync(filter, { qos: 1 }), (e: { packet?: { granted?: number[] } }) => {
          assert.deepEqual(e.packet?.granted, [128], `subscription to ${filter} should be refused`);
          return true;
        });
      }
      assert.equal(ca.connected, true);
      const publish = (topic: string) =>
        h.controllerBus.publish({ topic, payload: Buffer.from('x'), qos: 1, retain: false });
      await publish(`${prefix(b)}/ack`);
      await publish(`${prefix(b)}/cfg/threshold/cam-1`);
      // What a device publishes is not delivered to another device either (b → a's filters would not match anyway).
      const cb = await connectAs(b);
      await cb.publishAsync(`${prefix(b)}/event/cam-1`, Buffer.from('x'), { qos: 1 });
      await publish(`${prefix(a)}/ack`);
      await publish(`${prefix(a)}/cfg/threshold/cam-9`);
      await waitFor(() => got.length >= 2, 3000, 'own commands');
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(got.sort(), [`${prefix(a)}/ack`, `${prefix(a)}/cfg/threshold/cam-9`]);
    });

    test('a second connection with the same client id cannot knock out the first without the right credentials', async () => {
      const a = await provisionViaApi(h, admin, 'take-a');
      const b = await provisionViaApi(h, admin, 'take-b');
      const first = await connectAs(a);
      let dropped = false;
      first.on('close', () => (dropped = true));
      await refused({ clientId: a.clientId });
      await refused({ clientId: a.clientId, username: a.id, password: 'wrong' });
      await refused({ clientId: a.clientId, username: b.id, password: b.secret });
      const marker = `${prefix(a)}/health`;
      await first.publishAsync(marker, Buffer.from('still here'), { qos: 1 });
      await waitFor(() => saw(marker), 3000, 'first connection still publishing');
      assert.equal(dropped, false, 'a refused connection knocked the device off');
      // The rightful owner may take its session over (e.g. after a half-open link).
      const gone = closed(first);
      const second = await connectAs(a);
      await gone;
      assert.equal(second.connected, true);
    });

    test('ingest: a flagged event is stored once per (device, seq) and acked after commit, again on redelivery', async () => {
      const d = await provisionViaApi(h, admin, 'ing-a');
      const c = await connectAs(d);
      const acks = ackCollector(c);
      await c.subscribeAsync(`${prefix(d)}/ack`, { qos: 1 });
      const duplicatesBefore = await resultCount(h.app, 'event', 'duplicate');
      const pub = await eventPub(d, 7);
      await send(c, pub);
      await waitFor(() => acks.length === 1, 5000, 'first ack');
      assert.deepEqual(acks[0], ['evt-ing-a-7']);
      // The ack is published only after the commit: the row and its blobs are there when the agent hears about it.
      const mine = await h.app.ctx.store.events.list({ limit: 10, deviceId: d.id });
      assert.equal(mine.length, 1);
      const e = mine[0]!;
      assert.deepEqual([e.sequence, e.line, e.frameWidth, e.frameHeight], [7, 'line-1', FRAME_W, FRAME_H]);
      const { jpeg, map } = await images();
      assert.deepEqual(new Uint8Array(await h.app.ctx.files.get(e.frameRef)), jpeg);
      assert.deepEqual(new Uint8Array(await h.app.ctx.files.get(e.mapRef)), map);
      await send(c, pub); // redelivery (the agent did not see the ack)
      await waitFor(() => acks.length === 2, 5000, 'second ack');
      assert.deepEqual(acks[1], ['evt-ing-a-7']);
      assert.equal((await h.app.ctx.store.events.list({ limit: 10, deviceId: d.id })).length, 1);
      assert.equal((await resultCount(h.app, 'event', 'duplicate')) - duplicatesBefore, 1);
    });

    test('ingest: no ack while the store fails; the redelivery after recovery is stored once and acked', async () => {
      const inner = await openSqliteStore({ path: ':memory:', busyTimeoutMs: 1000 });
      let failNext = true;
      const events: Store['events'] = Object.create(inner.events, {
        insertOnce: {
          value: async (e: Parameters<Store['events']['insertOnce']>[0]) => {
            if (failNext) {
              failNext = false;
              throw new Error('disk full');
            }
            return inner.events.insertOnce(e);
          },
        },
      });
      const store: Store = Object.create(inner, { events: { value: events } });
      const h2 = await kit.controller({ store });
      try {
        const admin2 = await login(h2.app, 'admin', h2.adminPassword);
        const d = await provisionViaApi(h2, admin2, 'ing-fail');
        const c = await track(connect(h2.port, { clientId: d.clientId, username: d.id, password: d.secret }));
        const acks = ackCollector(c);
        await c.subscribeAsync(`${prefix(d)}/ack`, { qos: 1 });
        const pub = await eventPub(d, 1);
        await send(c, pub);
        await waitFor(() => failNext === false, 5000, 'first attempt');
        await h2.app.ingest!.idle();
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(await resultCount(h2.app, 'event', 'store_failed'), 1);
        assert.equal(acks.length, 0, 'acked although the commit failed');
        await send(c, pub);
        await waitFor(() => acks.length === 1, 5000, 'ack after recovery');
        assert.equal((await inner.events.list({ limit: 10 })).length, 1);
        await c.endAsync();
      } finally {
        await h2.close();
        await inner.close();
      }
    });

    test('ingest: scores are aggregated per device/camera/minute; events count as flagged', async () => {
      const d = await provisionViaApi(h, admin, 'ing-scores');
      const c = await connectAs(d);
      const acks = ackCollector(c);
      await c.subscribeAsync(`${prefix(d)}/ack`, { qos: 1 });
      const minute = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
      for (const [i, s] of [0.1, 0.4, 0.3, 0.2].entries()) await send(c, scorePub(d, 'cam-1', i, s, minute + i * 1000));
      await send(c, scorePub(d, 'cam-2', 0, 0.5, minute));
      await send(c, await eventPub(d, 1, { ts: minute + 5000 }));
      await waitFor(() => acks.length === 1, 5000, 'event acked');
      // Scores are QoS 0 and folded in memory: flush until all five arrived (bounded), then check the aggregates.
      const aggregates = () => h.app.ctx.store.scores.list(d.id, new Date(minute), new Date(minute + 60_000));
      await waitForAsync(async () => {
        await h.app.ingest!.flushScores();
        return (await aggregates()).reduce((n, r) => n + r.count, 0) === 5;
      }, 'scores aggregated');
      const rows = await aggregates();
      assert.deepEqual(rows.map((r) => r.camera).sort(), ['cam-1', 'cam-2']);
      const cam1 = rows.find((r) => r.camera === 'cam-1')!;
      assert.equal(cam1.count, 4);
      assert.ok(Math.abs(cam1.sum / cam1.count - 0.25) < 1e-9);
      assert.equal(cam1.max, 0.4);
      assert.equal(cam1.flagged, 1);
    });

    test('fleet: birth, status and health mark a device online; a stale death is ignored; death marks it offline', async () => {
      const d = await provisionViaApi(h, admin, 'fleet-a');
      const c = await connectAs(d);
      const fleet = () => h.app.ctx.store.fleet.get(d.id);
      const ignoredBefore = await resultCount(h.app, 'death', 'ignored');
      await send(c, birthPub(d, 3));
      await waitForAsync(async () => (await fleet())?.online === true, 'birth');
      assert.equal((await fleet())?.agentVersion, '0.1.0');
      await send(c, statusPub(d, 3));
      await send(c, healthPub(d));
      await waitForAsync(
        async () => (await fleet())?.health != null && (await fleet())?.status != null,
        'status + health',
      );
      assert.equal(((await fleet())?.status as { state: string }).state, 'running');
      await send(c, deathPub(d, 2)); // the will of an older session
      await waitForAsync(
        async () => (await resultCount(h.app, 'death', 'ignored')) === ignoredBefore + 1,
        'stale death processed',
      );
      assert.equal((await fleet())?.online, true, 'a stale death must not mark the device offline');
      await send(c, deathPub(d, 3));
      await waitForAsync(async () => (await fleet())?.online === false, 'death');
    });

    test('fleet: the broker delivers the will (death) when the connection drops', async () => {
      const d = await provisionViaApi(h, admin, 'fleet-will');
      const will = deathPub(d, 9);
      const c = await connectAs(d, {
        will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: false },
      });
      await send(c, birthPub(d, 9));
      await waitForAsync(async () => (await h.app.ctx.store.fleet.get(d.id))?.online === true, 'birth');
      c.stream.destroy(); // abrupt loss, not a clean DISCONNECT
      await waitForAsync(async () => (await h.app.ctx.store.fleet.get(d.id))?.online === false, 'will');
    });

    test('retained desired state: a device subscribing later gets the controller’s last value; an empty payload clears it', async () => {
      const a = await provisionViaApi(h, admin, 'ret-a');
      const b = await provisionViaApi(h, admin, 'ret-b');
      const thr = (d: TestDevice, camera: string, threshold: number) =>
        toPublication(
          'threshold',
          { site: d.site, line: d.line, device: d.id, camera },
          { camera, threshold, revision: 1, ts: Date.now() },
        );
      const put = (p: { topic: string; payload: Uint8Array; qos: QoS; retain: boolean }) => h.controllerBus.publish(p);
      const pa = thr(a, 'cam-1', 0.7);
      assert.equal(pa.retain, true, 'thresholds are retained kinds');
      await put(pa);
      await put(thr(a, 'cam-2', 0.2));
      await put(thr(b, 'cam-1', 0.9));
      const receive = async (d: ApiDevice): Promise<Array<{ topic: string; threshold: number; retain: boolean }>> => {
        const c = await connectAs(d);
        const got: Array<{ topic: string; threshold: number; retain: boolean }> = [];
        c.on('message', (topic, payload, packet) => {
          const r = fromPublication(topic, payload);
          if (r.kind === 'threshold') got.push({ topic, threshold: r.message.threshold, retain: packet.retain });
        });
        await c.subscribeAsync(`${prefix(d)}/cfg/threshold/+`, { qos: 1 });
        await new Promise((r) => setTimeout(r, 300)); // retained messages follow the SUBACK at once
        await c.endAsync();
        return got.sort((x, y) => x.topic.localeCompare(y.topic));
      };
      assert.deepEqual(await receive(a), [
        { topic: `${prefix(a)}/cfg/threshold/cam-1`, threshold: 0.7, retain: true },
        { topic: `${prefix(a)}/cfg/threshold/cam-2`, threshold: 0.2, retain: true },
      ]);
      await put({ topic: pa.topic, payload: new Uint8Array(0), qos: 1, retain: true });
      assert.deepEqual(await receive(a), [{ topic: `${prefix(a)}/cfg/threshold/cam-2`, threshold: 0.2, retain: true }]);
      assert.deepEqual(await receive(b), [{ topic: `${prefix(b)}/cfg/threshold/cam-1`, threshold: 0.9, retain: true }]);
    });
  });
}

type Pub = { topic: string; payload: Uint8Array; qos: QoS; retain: boolean };
const send = (c: MqttClient, p: Pub) =>
  c.publishAsync(p.topic, Buffer.from(p.payload), { qos: p.qos, retain: p.retain });

function ackCollector(c: MqttClient): string[][] {
  const acks: string[][] = [];
  c.on('message', (topic, payload) => {
    const r = fromPublication(topic, payload);
    if (r.kind === 'ack') acks.push([...r.message.eventIds]);
  });
  return acks;
}

async function resultCount(app: App, kind: string, result: string): Promise<number> {
  const m = await app.metrics.ingestMessages.get();
  return m.values.find((v) => v.labels.kind === kind && v.labels.result === result)?.value ?? 0;
}

async function waitForAsync(pred: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!(await pred())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
