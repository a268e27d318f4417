/**
 * Issue 17: an agent that fell back from its first execution provider reports `degraded` with coded problems in its
 * health; the controller shows the condition, the problems and the provider in /api/fleet and exports them in /metrics
 * (codes outside the LW_* catalogue are dropped so label cardinality stays bounded). Real embedded broker.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { testApp, login } from './helpers/http.js';
import { birthPub, healthPub, statusPub } from './helpers/messages.js';
import { connectDevice, provision } from './helpers/mqtt.js';

const FALLBACK = {
  key: 'inference',
  code: 'LW_AGENT_PROVIDER_FALLBACK',
  message: 'cuda unavailable, running on cpu',
};

type Pub = { topic: string; payload: Uint8Array; qos: 0 | 1 | 2; retain: boolean };
const send = (c: MqttClient, p: Pub) => c.publishAsync(p.topic, Buffer.from(p.payload), { qos: 1, retain: p.retain });

/** Polls until the condition holds; bounded, so a missing ingest fails the test instead of hanging it. */
async function until(pred: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await pred())) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for ingest');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test(
  'a provider fallback shows as degraded with its coded reason in /api/fleet and /metrics',
  { timeout: 30_000 },
  async () => {
    const { app, adminPassword } = await testApp({ overrides: { mqtt: { enabled: true, port: 0 } } });
    let client: MqttClient | undefined;
    try {
      const admin = await login(app, 'admin', adminPassword);
      const gpu = await provision(app.ctx.store, 'press-9', 'line-3');
      const fine = await provision(app.ctx.store, 'press-10', 'line-3');
      const fleet = async () => {
        const res = await app.inject({ method: 'GET', url: '/api/fleet', headers: admin.headers });
        assert.equal(res.statusCode, 200);
        return res.json().devices as Array<Record<string, unknown>>;
      };
      client = await connectDevice(app.broker!.port, gpu);
      await send(client, birthPub(gpu, 1));
      await send(client, statusPub(gpu, 1, { state: 'degraded', note: `provider: ${FALLBACK.code}` }));
      await send(client, healthPub(gpu, { executionProvider: 'cpu', problems: [FALLBACK] }));
      const fineClient = await connectDevice(app.broker!.port, fine);
      await send(fineClient, birthPub(fine, 1));
      await send(fineClient, healthPub(fine));
      await fineClient.endAsync();

      const byId = async (id: string) => (await fleet()).find((d) => d.deviceId === id);
      await until(async () => (await byId('press-9'))?.condition === 'degraded' && !!(await byId('press-10'))?.health);
      const degraded = (await byId('press-9'))!;
      assert.equal(degraded.condition, 'degraded');
      assert.deepEqual(degraded.problems, [FALLBACK]);
      assert.equal(degraded.executionProvider, 'cpu');
      const ok = (await byId('press-10'))!;
      assert.equal(ok.condition, 'ok');
      assert.deepEqual(ok.problems, []);

      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(metrics, /lw_device_degraded\{device="press-9",line="line-3"\} 1/);
      assert.match(metrics, /lw_device_problems\{device="press-9",line="line-3",code="LW_AGENT_PROVIDER_FALLBACK"\} 1/);
      // press-10 is online and healthy (its client ended without a will): a 0 series, no problem series.
      assert.match(metrics, /lw_device_degraded\{device="press-10",line="line-3"\} 0/);
      assert.doesNotMatch(metrics, /lw_device_problems\{device="press-10"/);

      // The problem clears with the next health report: the series goes away, the device is ok again.
      await send(client, statusPub(gpu, 1, { state: 'running' }));
      await send(client, healthPub(gpu, { executionProvider: 'cuda', problems: [] }));
      await until(async () => (await byId('press-9'))?.condition === 'ok');
      assert.equal((await byId('press-9'))!.executionProvider, 'cuda');
      const after = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(after, /lw_device_degraded\{device="press-9",line="line-3"\} 0/);
      assert.doesNotMatch(after, /lw_device_problems\{device="press-9"/);
    } finally {
      await client?.endAsync();
      await app.close();
    }
  },
);

test('codes outside the LW_* catalogue are not exported (bounded labels); offline devices have no active series', async () => {
  const { app, adminPassword } = await testApp();
  try {
    const admin = await login(app, 'admin', adminPassword);
    await provision(app.ctx.store, 'press-11', 'line-4');
    await provision(app.ctx.store, 'press-12', 'line-4');
    const health = {
      executionProvider: 'cpu',
      problems: [
        { key: 'x', code: 'not-a-code "quoted"', message: 'stored by an older controller' },
        { key: 'model', code: 'LW_AGENT_WAITING_FOR_MODEL', message: 'no model installed' },
      ],
    };
    const now = new Date();
    await app.ctx.store.fleet.upsert('press-11', { online: true, lastSeen: now, health }, now);
    await app.ctx.store.fleet.upsert('press-12', { online: false, lastSeen: now, health }, now);
    const res = await app.inject({ method: 'GET', url: '/api/fleet', headers: admin.headers });
    const devices = res.json().devices as Array<{ deviceId: string; condition: string; problems: unknown[] }>;
    const live = devices.find((d) => d.deviceId === 'press-11')!;
    assert.equal(live.condition, 'degraded');
    assert.deepEqual(live.problems, [health.problems[1]]);
    assert.equal(devices.find((d) => d.deviceId === 'press-12')!.condition, 'offline');
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /lw_device_problems\{device="press-11",line="line-4",code="LW_AGENT_WAITING_FOR_MODEL"\} 1/);
    assert.doesNotMatch(metrics, /not-a-code/);
    // An offline device keeps its presence series (up 0, for the device-down alert), no condition or problem series.
    assert.match(metrics, /lw_device_up\{device="press-12",line="line-4"\} 0/);
    assert.doesNotMatch(metrics, /lw_device_(degraded|problems|fps|latency_ms|outbox_depth)\{device="press-12"/);
  } finally {
    await app.close();
  }
});
