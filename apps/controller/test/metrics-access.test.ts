/**
 * Who may read /metrics (docs/metrics.md, "Access"): open on a loopback-only HTTP port; a bearer token when
 * metrics.token is set; 401 on a listener other machines reach unless a token is set or the operator allows it;
 * metrics.port moves /metrics to its own listener (closed with the app).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, type ConfigInput } from '../src/config.js';
import { testApp } from './helpers/http.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const reachable: ConfigInput = {
  http: { host: '0.0.0.0' },
  registry: { publicUrl: 'http://controller.example:8080' },
  tls: { allowPlaintext: true },
};

async function status(overrides: ConfigInput, authorization?: string): Promise<{ code: number; body: string }> {
  const { app } = await testApp({ overrides });
  try {
    const res = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: authorization === undefined ? {} : { authorization },
    });
    return { code: res.statusCode, body: res.body };
  } finally {
    await app.close();
  }
}

test('a loopback-only HTTP port serves /metrics without a token', async () => {
  const r = await status({});
  assert.equal(r.code, 200);
  assert.match(r.body, /^# HELP lw_/m);
});

test('metrics.token: only a scrape with the bearer token is answered', async () => {
  const withToken = { metrics: { token: TOKEN } };
  for (const auth of [undefined, 'Bearer wrong-token', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
    const r = await status(withToken, auth);
    assert.equal(r.code, 401, String(auth));
    assert.equal(JSON.parse(r.body).code, 'LW_CTRL_UNAUTHENTICATED');
  }
  const ok = await status(withToken, `Bearer ${TOKEN}`);
  assert.equal(ok.code, 200);
  assert.match(ok.body, /lw_ingest_acks_pending/);
});

test('a reachable listener without a token answers 401 unless metrics.allowUnauthenticated', async () => {
  const refused = await status(reachable);
  assert.equal(refused.code, 401);
  assert.equal(JSON.parse(refused.body).code, 'LW_CTRL_UNAUTHENTICATED');
  assert.match(JSON.parse(refused.body).message, /metrics\.token/);
  // Loopback behind a TLS proxy is reachable through the proxy.
  assert.equal((await status({ http: { behindTlsProxy: true } })).code, 401);
  assert.equal((await status({ ...reachable, metrics: { allowUnauthenticated: true } })).code, 200);
  assert.equal((await status({ ...reachable, metrics: { token: TOKEN } }, `Bearer ${TOKEN}`)).code, 200);
});

test('metrics.port: /metrics only on its own listener, with the same access rules; closed with the app', async () => {
  const { app } = await testApp({ overrides: { metrics: { port: 0, token: TOKEN } } });
  let url = '';
  try {
    assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
    assert.ok(app.metricsPort !== null && app.metricsPort > 0);
    url = `http://127.0.0.1:${app.metricsPort}/metrics`;
    const refused = await fetch(url);
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { code: string }).code, 'LW_CTRL_UNAUTHENTICATED');
    const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await ok.text(), /^# TYPE lw_device_up gauge$/m);
  } finally {
    await app.close();
  }
  await assert.rejects(fetch(url), 'the listener is closed with the app');
});

test('a plaintext metrics listener beyond loopback is refused like any other plaintext link', () => {
  assert.throws(() => loadConfig({ env: {}, overrides: { metrics: { port: 9464, host: '0.0.0.0', token: TOKEN } } }), {
    code: 'LW_CTRL_PLAINTEXT_REFUSED',
  });
  const env = { LW_METRICS_PORT: '9464', LW_METRICS_TOKEN: TOKEN, LW_METRICS_CACHE_MS: '0' };
  const c = loadConfig({ env });
  assert.deepEqual(
    { ...c.metrics },
    { port: 9464, host: '127.0.0.1', token: TOKEN, allowUnauthenticated: false, cacheMs: 0 },
  );
});
