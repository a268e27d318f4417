import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { App } from '../src/app.js';
import { login, testApp } from './helpers/http.js';
import { closed, connect, connectDevice, prefix, provision, waitFor, type TestDevice } from './helpers/mqtt.js';

let app: App;
let adminPassword: string;
let port: number;
let a: TestDevice;
let b: TestDevice;
const seen: string[] = [];
const clients: MqttClient[] = [];

before(async () => {
  ({ app, adminPassword } = await testApp({ overrides: { mqtt: { enabled: true, port: 0 } } }));
  port = app.broker!.port;
  a = await provision(app.ctx.store, 'dev-a', 'line-1');
  b = await provision(app.ctx.store, 'dev-b', 'line-2');
  // The observing subscriber: the controller's own in-process subscription to everything.
  await app.broker!.subscribe('#', (topic) => seen.push(topic));
});
after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await app.close();
});

async function track(p: Promise<MqttClient>): Promise<MqttClient> {
  const c = await p;
  clients.push(c);
  return c;
}

test('devices authenticate with their own credentials and client id only', async () => {
  const ok = await track(connectDevice(port, a));
  assert.equal(ok.connected, true);
  const rejects = async (opts: Parameters<typeof connect>[1]): Promise<void> => {
    await assert.rejects(connect(port, opts), /Bad username or password|Identifier rejected|Not authorized/i);
  };
  await rejects({ clientId: a.id, username: a.id, password: 'wrong' });
  await rejects({ clientId: a.id, username: a.id, password: b.secret });
  await rejects({ clientId: 'ghost', username: 'ghost', password: 'x' });
  await rejects({ clientId: a.id });
  await rejects({ clientId: b.id, username: a.id, password: a.secret });
  await rejects({ clientId: `lw-agent-${b.id}`, username: a.id, password: a.secret });
  await rejects({ clientId: `${a.id}-2`, username: a.id, password: a.secret });
  // The agent's default client id is accepted for its own device.
  const agentStyle = await track(connect(port, { clientId: `lw-agent-${a.id}`, username: a.id, password: a.secret }));
  assert.equal(agentStyle.connected, true);
  await agentStyle.endAsync();
  // The rejected attempts with dev-a's client id did not knock the real dev-a off.
  assert.equal(ok.connected, true);
  const topic = `${prefix(a)}/health`;
  await ok.publishAsync(topic, Buffer.from('x'), { qos: 1 });
  await waitFor(() => seen.includes(topic), 3000, 'dev-a still publishing');
  await ok.endAsync();
});

test('a device publishes only agent→controller kinds under its own prefix', async () => {
  const ca = await track(connectDevice(port, a));
  const cb = await track(connectDevice(port, b));
  const foreign = `${prefix(b)}/event/cam-1`;
  const gone = closed(ca);
  ca.publish(foreign, Buffer.from('spoof'), { qos: 1 });
  await gone; // aedes closes a client whose publish is not authorised (MQTT 3.1.1 has no publish NACK)
  const ca2 = await track(connectDevice(port, a));
  const gone2 = closed(ca2);
  ca2.publish(`${prefix(a)}/ack`, Buffer.from('self-ack'), { qos: 1 });
  await gone2;
  const marker = `${prefix(b)}/status`;
  await cb.publishAsync(marker, Buffer.from('ok'), { qos: 1 });
  await waitFor(() => seen.includes(marker), 3000, 'marker');
  assert.equal(seen.includes(foreign), false, 'spoofed publish reached subscribers');
  assert.equal(seen.includes(`${prefix(a)}/ack`), false, 'device published a controller→agent kind');
  const own = `${prefix(a)}/event/cam-1`;
  const ca3 = await track(connectDevice(port, a));
  await ca3.publishAsync(own, Buffer.from('mine'), { qos: 1 });
  await waitFor(() => seen.includes(own), 3000, 'own event');
});

test('a device subscribes only to its own command topics', async () => {
  const ca = await track(connectDevice(port, a));
  const got: string[] = [];
  ca.on('message', (t) => got.push(t));
  const granted = await ca.subscribeAsync([`${prefix(a)}/ack`, `${prefix(a)}/cfg/threshold/+`], { qos: 1 });
  assert.deepEqual(granted.map((g) => g.qos), [1, 1]);
  for (const filter of [`${prefix(b)}/ack`, '#', 'linewatch/v1/+/+/+/ack', `${prefix(a)}/event/+`]) {
    // mqtt.js rejects on a failure return code; the SUBACK it carries must say 0x80.
    await assert.rejects(ca.subscribeAsync(filter, { qos: 1 }), (e: { packet?: { granted?: number[] } }) => {
      assert.deepEqual(e.packet?.granted, [128], `subscription to ${filter} should be refused`);
      return true;
    });
  }
  const publish = (topic: string) => app.broker!.publish({ topic, payload: Buffer.from('x'), qos: 1, retain: false });
  await publish(`${prefix(b)}/ack`);
  await publish(`${prefix(a)}/ack`);
  await publish(`${prefix(a)}/cfg/threshold/cam-9`);
  await waitFor(() => got.length >= 2, 3000, 'own commands');
  assert.deepEqual(got.sort(), [`${prefix(a)}/ack`, `${prefix(a)}/cfg/threshold/cam-9`]);
});

test('the rightful owner can take over its session; the old connection is closed', async () => {
  const first = await track(connectDevice(port, a));
  const gone = closed(first);
  const second = await track(connectDevice(port, a));
  await gone;
  assert.equal(second.connected, true);
});

test('MQTT over WebSocket when configured', async () => {
  const { app: wsApp } = await testApp({ overrides: { mqtt: { enabled: true, port: 0, wsPort: 0 } } });
  try {
    const d = await provision(wsApp.ctx.store, 'dev-ws');
    const { default: mqtt } = await import('mqtt');
    const c = await mqtt.connectAsync(`ws://127.0.0.1:${wsApp.broker!.wsPort}`, {
      clientId: d.id,
      username: d.id,
      password: d.secret,
      reconnectPeriod: 0,
    });
    const got: string[] = [];
    await wsApp.broker!.subscribe(`${prefix(d)}/#`, (t) => got.push(t));
    await c.publishAsync(`${prefix(d)}/health`, Buffer.from('x'), { qos: 1 });
    await waitFor(() => got.length === 1, 3000, 'ws publish');
    await c.endAsync();
  } finally {
    await wsApp.close();
  }
});

test('disabling a device (admin API) closes its session and refuses reconnects', async () => {
  const c = await provision(app.ctx.store, 'dev-c', 'line-1');
  const client = await track(connectDevice(port, c));
  const gone = closed(client);
  const admin = await login(app, 'admin', adminPassword);
  const res = await app.inject({ method: 'POST', url: '/api/devices/dev-c/disable', headers: admin.headers });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().disabled, true);
  await gone;
  await assert.rejects(connectDevice(port, c), /Bad username or password/i);
  assert.equal((await app.inject({ method: 'POST', url: '/api/devices/nope/disable', headers: admin.headers })).statusCode, 404);
});

test('a failed start (MQTT port taken) rejects and releases what build() had opened', async () => {
  const { readdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const tempDbs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('lw-sqlite-')).sort();
  const before = tempDbs();
  await assert.rejects(testApp({ overrides: { mqtt: { enabled: true, port } } }), /EADDRINUSE/);
  assert.deepEqual(tempDbs(), before, 'the throw-away SQLite database was closed and removed');
});

test('external mode: an unreachable broker fails start-up with LW_CTRL_BROKER_UNAVAILABLE', async () => {
  const { isControllerError } = await import('../src/errors.js');
  await assert.rejects(
    testApp({ overrides: { mqtt: { enabled: true, mode: 'external', url: 'mqtt://127.0.0.1:1' } } }),
    (e: unknown) => isControllerError(e, 'LW_CTRL_BROKER_UNAVAILABLE'),
  );
});
