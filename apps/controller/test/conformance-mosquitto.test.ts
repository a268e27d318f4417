/**
 * The broker conformance suite against Debian's Mosquitto 2 secured by its dynamic-security plugin, with the
 * controller in external mode and `mqtt.provisioning = mosquitto-dynsec`: every device the suite provisions through
 * the HTTP API reaches the broker only through the controller. Skipped only when the mosquitto binary is absent
 * (.ci/run installs it). Mosquitto-only cases follow: start-up reconciliation and replicas splitting the ingest.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { fromPublication } from '@linewatch/protocol';
import type { App } from '../src/app.js';
import { connectDynsecProvisioner } from '../src/broker/dynsec.js';
import { connectExternalBus } from '../src/broker/external.js';
import { openSqliteStore } from '../src/store/open-sqlite.js';
import type { Store } from '../src/store/store.js';
import {
  describeBrokerConformance,
  provisionViaApi,
  type BrokerHarness,
  type BrokerKit,
} from './helpers/broker-conformance.js';
import { login, testApp } from './helpers/http.js';
import { eventPub } from './helpers/messages.js';
import { MOSQUITTO, MOSQUITTO_SKIP, startMosquitto, type TestMosquitto } from './helpers/mosquitto.js';
import { prefix, waitFor } from './helpers/mqtt.js';

const skip = MOSQUITTO ? false : MOSQUITTO_SKIP;

async function controllerOn(
  mosq: TestMosquitto,
  opts: { store?: Store; sharedGroup?: string; timeoutMs?: number } = {},
): Promise<BrokerHarness> {
  const ctl = mosq.controller!;
  const { app, adminPassword } = await testApp({
    overrides: {
      mqtt: {
        enabled: true,
        mode: 'external',
        url: mosq.url,
        username: ctl.username,
        password: ctl.password,
        provisioning: 'mosquitto-dynsec',
        sharedGroup: opts.sharedGroup ?? null,
        provisioningTimeoutMs: opts.timeoutMs ?? 5000,
      },
    },
    ...(opts.store && { store: opts.store }),
  });
  try {
    const observer = await connectExternalBus(app.ctx, { url: mosq.url, ...mosq.observer! });
    const controllerBus = await connectExternalBus(app.ctx, { url: mosq.url, ...ctl });
    return {
      app,
      adminPassword,
      port: mosq.port,
      observer,
      controllerBus,
      async close() {
        await observer.close();
        await controllerBus.close();
        await app.close();
      },
    };
  } catch (e) {
    await app.close();
    throw e;
  }
}

describeBrokerConformance(
  'mosquitto + dynamic security',
  async (): Promise<BrokerKit> => {
    const mosq = (await startMosquitto({ dynsec: true }))!;
    return { controller: (opts) => controllerOn(mosq, opts), close: () => mosq.stop() };
  },
  { skip },
);

describe('mosquitto only', { skip }, () => {
  let mosq: TestMosquitto;
  before(async () => {
    mosq = (await startMosquitto({ dynsec: true }))!;
  });
  after(async () => {
    await mosq?.stop();
  });

  test('start-up reconciliation: a device disabled in the store while the broker still allowed it is disabled', async () => {
    const store = await openSqliteStore({ path: ':memory:', busyTimeoutMs: 1000 });
    try {
      const first = await controllerOn(mosq, { store });
      const admin = await login(first.app, 'admin', first.adminPassword);
      const d = await provisionViaApi(first, admin, 'recon-a');
      await first.close();
      // Disabled behind the broker's back (e.g. the broker was unreachable when an admin disabled it).
      await store.devices.disable(d.id, new Date());
      const opts = {
        clientId: d.clientId,
        username: d.id,
        password: d.secret,
        reconnectPeriod: 0,
        protocolVersion: 4 as const,
      };
      const c = await mqtt.connectAsync(mosq.url, opts);
      await c.endAsync();
      const second = await controllerOn(mosq, { store });
      try {
        await assert.rejects(mqtt.connectAsync(mosq.url, opts), /Not authorized/);
      } finally {
        await second.close();
      }
    } finally {
      await store.close();
    }
  });

  test('start-up reconciliation: a role made before a kind joined the protocol gets its ACL (scoreSketch)', async () => {
    const store = await openSqliteStore({ path: ':memory:', busyTimeoutMs: 1000 });
    let dynsec: Awaited<ReturnType<typeof connectDynsecProvisioner>> | null = null;
    try {
      const first = await controllerOn(mosq, { store });
      const admin = await login(first.app, 'admin', first.adminPassword);
      const d = await provisionViaApi(first, admin, 'recon-acl');
      dynsec = await connectDynsecProvisioner(first.app.ctx, { url: mosq.url, ...mosq.controller!, timeoutMs: 5000 });
      const topic = `${prefix(d)}/sketch/+`;
      const acls = async () => {
        const [r] = await dynsec!.send([{ command: 'getRole', rolename: `lw-device-${d.id}` }]);
        return ((r?.data as { role?: { acls?: { topic: string }[] } }).role?.acls ?? []).map((a) => a.topic);
      };
      assert.ok((await acls()).includes(topic));
      // As provisioned by a controller from before the kind existed.
      await dynsec.send([
        { command: 'removeRoleACL', rolename: `lw-device-${d.id}`, acltype: 'publishClientSend', topic },
      ]);
      const before = await acls();
      assert.ok(!before.includes(topic));
      await first.close();
      const second = await controllerOn(mosq, { store });
      try {
        const after = await acls();
        assert.ok(after.includes(topic), 'the missing ACL was added');
        assert.equal(after.length, before.length + 1, 'and nothing else duplicated');
      } finally {
        await second.close();
      }
    } finally {
      await dynsec?.close();
      await store.close();
    }
  });

  test('a controller whose MQTT user lacks the dynamic-security role refuses to start', async () => {
    const { isControllerError } = await import('../src/errors.js');
    const observer = mosq.observer!;
    await assert.rejects(
      testApp({
        overrides: {
          mqtt: { enabled: true, mode: 'external', url: mosq.url, ...observer, provisioning: 'mosquitto-dynsec' },
        },
      }),
      (e: unknown) => isControllerError(e, 'LW_CTRL_BROKER_ACL'),
    );
  });

  test('provisioning while the broker is down fails with LW_CTRL_BROKER_UNAVAILABLE and creates no device', async () => {
    const own = (await startMosquitto({ dynsec: true }))!;
    const h = await controllerOn(own, { timeoutMs: 500 });
    try {
      const admin = await login(h.app, 'admin', h.adminPassword);
      await own.stop();
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/devices',
        headers: admin.headers,
        payload: { id: 'down-1', name: 'x', line: 'line-1' },
      });
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.json().code, 'LW_CTRL_BROKER_UNAVAILABLE');
      assert.equal(await h.app.ctx.store.devices.find('down-1'), null, 'no row for a device the broker does not know');
    } finally {
      await h.close();
      await own.stop();
    }
  });

  test('a device row that cannot be committed takes its broker credentials back', async () => {
    const inner = await openSqliteStore({ path: ':memory:', busyTimeoutMs: 1000 });
    let onBrokerWhenRowWritten: boolean | null = null;
    let h: BrokerHarness | null = null;
    let dynsec: Awaited<ReturnType<typeof connectDynsecProvisioner>> | null = null;
    const clientExists = async (username: string) =>
      !(await dynsec!.send([{ command: 'getClient', username }]))[0]?.error;
    const devices: Store['devices'] = Object.create(inner.devices, {
      create: {
        value: async () => {
          onBrokerWhenRowWritten = await clientExists('rb-1');
          throw new Error('disk full');
        },
      },
    });
    const store: Store = Object.create(inner, { devices: { value: devices } });
    try {
      h = await controllerOn(mosq, { store });
      dynsec = await connectDynsecProvisioner(h.app.ctx, { url: mosq.url, ...mosq.controller!, timeoutMs: 5000 });
      const admin = await login(h.app, 'admin', h.adminPassword);
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/devices',
        headers: admin.headers,
        payload: { id: 'rb-1', name: 'x', line: 'line-1' },
      });
      assert.equal(res.statusCode, 500, res.body);
      assert.equal(onBrokerWhenRowWritten, true, 'the broker knew the device before its row was written');
      assert.equal(await clientExists('rb-1'), false, 'the broker entry was removed again');
      assert.equal(await inner.devices.find('rb-1'), null);
    } finally {
      await dynsec?.close();
      await h?.close();
      await inner.close();
    }
  });

  test('two controller replicas on one database split the ingest with a shared subscription', async () => {
    const store = await openSqliteStore({ path: ':memory:', busyTimeoutMs: 5000 });
    let a: BrokerHarness | null = null;
    let b: BrokerHarness | null = null;
    try {
      a = await controllerOn(mosq, { store, sharedGroup: 'ctl' });
      b = await controllerOn(mosq, { store, sharedGroup: 'ctl' });
      const d = await provisionViaApi(a, await login(a.app, 'admin', a.adminPassword), 'shared-1');
      const c = await mqtt.connectAsync(mosq.url, {
        clientId: d.clientId,
        username: d.id,
        password: d.secret,
        reconnectPeriod: 0,
      });
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
        await Promise.all([a.app.ingest!.idle(), b.app.ingest!.idle()]);
        assert.equal(acks.length, N, 'each event acked exactly once');
        assert.equal(new Set(acks).size, N);
        const [ca, cb] = [await eventCounts(a.app), await eventCounts(b.app)];
        assert.equal((ca.ok ?? 0) + (cb.ok ?? 0), N);
        assert.equal((ca.duplicate ?? 0) + (cb.duplicate ?? 0), 0, 'no event processed by both replicas');
        assert.ok((ca.ok ?? 0) > 0 && (cb.ok ?? 0) > 0, `both replicas took a share (${ca.ok}/${cb.ok})`);
        assert.equal((await store.events.list({ limit: 100 })).length, N);
      } finally {
        await c.endAsync();
      }
    } finally {
      await a?.close();
      await b?.close();
      await store.close();
    }
  });
});

async function eventCounts(app: App): Promise<Record<string, number>> {
  const m = await app.metrics.ingestMessages.get();
  return Object.fromEntries(
    m.values.filter((v) => v.labels.kind === 'event').map((v) => [String(v.labels.result), v.value]),
  );
}
