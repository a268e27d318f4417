/**
 * TLS on the controller's own links, with a throw-away CA made by openssl: HTTPS (and its security headers), MQTT
 * over TLS and WebSocket over TLS on the embedded broker, each accepted with the right CA and refused with another
 * CA or none; unusable certificate files stop the start with LW_CTRL_TLS_INVALID; a plaintext controller sends
 * neither HSTS nor upgrade-insecure-requests unless it is told a TLS proxy sits in front.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import mqtt from 'mqtt';
import { makeTestCa, type TestCa } from '@linewatch/testing';
import type { App } from '../src/app.js';
import { connectExternalBus } from '../src/broker/external.js';
import { isControllerError } from '../src/errors.js';
import { testApp } from './helpers/http.js';
import { logCapture } from './helpers/log-capture.js';
import { MOSQUITTO, MOSQUITTO_SKIP, startMosquitto } from './helpers/mosquitto.js';
import { prefix, provision, waitFor, type TestDevice } from './helpers/mqtt.js';

const dir = mkdtempSync(join(tmpdir(), 'lw-tls-'));
let ca: TestCa;
let other: TestCa;
let app: App;
let base: string;
let device: TestDevice;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTPS GET that trusts only `caPem`; rejects with the TLS error when the server's chain does not verify. */
function httpsGet(url: string, caPem: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: caPem, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const tlsOverrides = (c: TestCa) => ({ certPath: c.certPath, keyPath: c.keyPath, caPath: c.caPath });

before(async () => {
  ca = makeTestCa(join(dir, 'ca'));
  other = makeTestCa(join(dir, 'other'), { caName: 'another CA' });
  ({ app } = await testApp({
    overrides: { tls: tlsOverrides(ca), mqtt: { enabled: true, port: 0, wsPort: 0 } },
  }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `https://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  device = await provision(app.ctx.store, 'dev-tls');
});
after(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('HTTPS with the configured certificate: verified by its CA, refused by another CA or none', async () => {
  const ok = await httpsGet(`${base}/healthz`, ca.caPem);
  assert.equal(ok.status, 200);
  assert.match(String(ok.headers['strict-transport-security']), /max-age=\d+/);
  assert.match(String(ok.headers['content-security-policy']), /upgrade-insecure-requests/);
  await assert.rejects(httpsGet(`${base}/healthz`, other.caPem), /self-signed|unable to verify|certificate/i);
  // The global fetch trusts only the system CAs.
  await assert.rejects(fetch(`${base}/healthz`), (e: Error) => /certificate/i.test(String(e.cause)));
  // Plain HTTP on the HTTPS port gets no answer that fetch accepts as HTTP.
  await assert.rejects(fetch(`${base.replace('https', 'http')}/healthz`));
});

function mqttsConnect(url: string, caPem: string | null): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: device.id,
    username: device.id,
    password: device.secret,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...(caPem !== null && { ca: caPem }),
  });
}

test('the embedded broker speaks MQTT over TLS and WebSocket over TLS, verified against the CA', async () => {
  assert.equal(app.broker!.tls, true);
  const got: string[] = [];
  await app.broker!.subscribe(`${prefix(device)}/#`, (t) => got.push(t));
  for (const url of [`mqtts://127.0.0.1:${app.broker!.port}`, `wss://127.0.0.1:${app.broker!.wsPort}`]) {
    const c = await mqttsConnect(url, ca.caPem);
    await c.publishAsync(`${prefix(device)}/health`, Buffer.from('x'), { qos: 1 });
    await waitFor(() => got.length === 1, 3000, `publish over ${url}`);
    got.length = 0;
    await c.endAsync();
  }
  await assert.rejects(mqttsConnect(`mqtts://127.0.0.1:${app.broker!.port}`, other.caPem), /certificate|self-signed/i);
  await assert.rejects(mqttsConnect(`mqtts://127.0.0.1:${app.broker!.port}`, null), /certificate|self-signed/i);
  // A plaintext MQTT CONNECT on the TLS port: the socket is closed without a CONNACK (0x20).
  const reply = await rawExchange(app.broker!.port, Buffer.from('100c00044d5154540402003c0000', 'hex'));
  assert.notEqual(reply[0], 0x20, `got ${reply.toString('hex')}`);
});

/** Writes bytes to a loopback port and collects what comes back until the peer closes (bounded). */
function rawExchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(port, '127.0.0.1', () => s.write(bytes));
    s.setTimeout(5000, () => s.destroy(new Error('the TLS port kept a plaintext connection open')));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

test('the session cookie is Secure over TLS (and behind a declared TLS proxy), not over plain HTTP', async () => {
  const cookieOf = async (a: App, password: string) => {
    const res = await a.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password } });
    assert.equal(res.statusCode, 200, res.body);
    return res.cookies.find((c) => c.name === 'lw_session');
  };
  const tlsApp = await testApp({ overrides: { tls: tlsOverrides(ca) } });
  const proxied = await testApp({ overrides: { http: { behindTlsProxy: true } } });
  const plain = await testApp();
  try {
    assert.equal((await cookieOf(tlsApp.app, tlsApp.adminPassword))?.secure, true);
    assert.equal((await cookieOf(proxied.app, proxied.adminPassword))?.secure, true);
    assert.equal((await cookieOf(plain.app, plain.adminPassword))?.secure, undefined);
  } finally {
    await Promise.all([tlsApp.app.close(), proxied.app.close(), plain.app.close()]);
  }
});

test('certificate files that cannot serve stop the start with LW_CTRL_TLS_INVALID', async () => {
  const invalid = (why: RegExp) => (e: unknown) => isControllerError(e, 'LW_CTRL_TLS_INVALID') && why.test(String(e));
  const wrongKey = { certPath: ca.certPath, keyPath: other.keyPath, caPath: null };
  await assert.rejects(testApp({ overrides: { tls: wrongKey } }), invalid(/mismatch|key/i));
  const missing = { certPath: join(dir, 'nope.pem'), keyPath: ca.keyPath, caPath: null };
  await assert.rejects(testApp({ overrides: { tls: missing } }), invalid(/cannot read/));
  const caIsKey = { ...tlsOverrides(ca), caPath: ca.keyPath };
  await assert.rejects(testApp({ overrides: { tls: caIsKey } }), invalid(/not a PEM certificate/));
});

test('plaintext: no HSTS and no upgrade-insecure-requests, unless a TLS proxy is declared in front', async () => {
  for (const behindTlsProxy of [false, true]) {
    const { app: plain } = await testApp({ overrides: { http: { behindTlsProxy } } });
    try {
      const res = await plain.inject({ method: 'GET', url: '/' });
      assert.equal(res.statusCode, 200);
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /script-src 'self'/, 'the rest of the policy stays');
      assert.equal(/upgrade-insecure-requests/.test(csp), behindTlsProxy, csp);
      assert.equal(res.headers['strict-transport-security'] !== undefined, behindTlsProxy);
    } finally {
      await plain.close();
    }
  }
});

test('tls.allowPlaintext on a non-loopback address starts with a warning naming the plaintext links', async () => {
  const logs = logCapture('warn');
  // Never listens: build() alone shows the warning (tests bind only to loopback).
  const { app: open } = await testApp({
    logger: logs.logger,
    overrides: {
      http: { host: '0.0.0.0' },
      tls: { allowPlaintext: true },
      registry: { publicUrl: 'http://controller.example:8080' },
    },
  });
  await open.close();
  const warning = logs.lines.find((l) => /allowPlaintext/.test(l.msg));
  assert.ok(warning, JSON.stringify(logs.lines));
  assert.deepEqual(warning['links'], ['HTTP on 0.0.0.0:8080']);
});

test(
  'external broker over TLS (Mosquitto): verified against mqtt.caPath; another CA or none is LW_CTRL_BROKER_UNAVAILABLE',
  { skip: MOSQUITTO ? false : MOSQUITTO_SKIP, timeout: 60_000 },
  async () => {
    const mosq = (await startMosquitto({ tls: { certPath: ca.certPath, keyPath: ca.keyPath } }))!;
    try {
      const external = (caPath: string | null) => ({
        overrides: { mqtt: { enabled: true, mode: 'external' as const, url: mosq.url, caPath } },
      });
      const { app: ok } = await testApp(external(ca.caPath));
      try {
        const got: string[] = [];
        const probe = await mqtt.connectAsync(mosq.url, { ca: ca.caPem, reconnectPeriod: 0 });
        const bus = await connectExternalBus(ok.ctx, {
          url: mosq.url,
          username: null,
          password: null,
          tls: { ca: Buffer.from(ca.caPem) },
        });
        await bus.subscribe('linewatch/tls-probe', (t) => got.push(t));
        await probe.publishAsync('linewatch/tls-probe', 'x', { qos: 1 });
        await waitFor(() => got.length === 1, 3000, 'a message through the TLS broker');
        await probe.endAsync();
        await bus.close();
      } finally {
        await ok.close();
      }
      for (const caPath of [other.caPath, null]) {
        await assert.rejects(
          testApp(external(caPath)),
          (e: unknown) =>
            isControllerError(e, 'LW_CTRL_BROKER_UNAVAILABLE') && /certificate|self-signed/i.test(String(e)),
        );
      }
    } finally {
      await mosq.stop();
    }
  },
);
