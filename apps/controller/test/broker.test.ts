/**
 * Embedded-broker specifics. Authentication, ACLs, takeover, disabling, ingest and retained state are covered for
 * every broker by the conformance suite (conformance-aedes.test.ts / conformance-mosquitto.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { App } from '../src/app.js';
import { testApp } from './helpers/http.js';
import { connect, connectDevice, prefix, provision, waitFor, type TestDevice } from './helpers/mqtt.js';

let app: App;
let port: number;
let a: TestDevice;
const seen: string[] = [];

before(async () => {
  ({ app } = await testApp({ overrides: { mqtt: { enabled: true, port: 0 } } }));
  port = app.broker!.port;
  a = await provision(app.ctx.store, 'dev-a', 'line-1');
  await app.broker!.subscribe('#', (topic) => seen.push(topic));
});
after(async () => {
  await app.close();
});

test('the embedded broker accepts the bare device id as client id too (and only for that device)', async () => {
  const bare = await connectDevice(port, a);
  assert.equal(bare.connected, true);
  const topic = `${prefix(a)}/health`;
  await bare.publishAsync(topic, Buffer.from('x'), { qos: 1 });
  await waitFor(() => seen.includes(topic), 3000, 'publish with the bare client id');
  const b = await provision(app.ctx.store, 'dev-b', 'line-2');
  await assert.rejects(
    connect(port, { clientId: a.id, username: b.id, password: b.secret }),
    /Identifier rejected|Not authorized/i,
  );
  assert.equal(bare.connected, true, 'the refused attempt did not knock the device off');
  await bare.endAsync();
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

test('a failed start (MQTT port taken) rejects and releases what build() had opened', async () => {
  const { readdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const tempDbs = () =>
    readdirSync(tmpdir())
      .filter((n) => n.startsWith('lw-sqlite-'))
      .sort();
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
