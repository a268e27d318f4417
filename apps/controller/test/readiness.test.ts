/**
 * /readyz checks the database, the broker link and the blob store, each bounded in time, and names what fails;
 * /healthz stays liveness (200 whatever the dependencies do). Both answer without a session.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NotReadyBody, ReadyBody } from '@linewatch/protocol/http';
import { build, type App } from '../src/app.js';
import { MemoryFileStore } from '../src/files/file-store.js';
import { READY_CHECK_TIMEOUT_MS } from '../src/http/readiness.js';
import { openSqliteStore } from '../src/store/open-sqlite.js';
import type { Store } from '../src/store/store.js';
import { testApp } from './helpers/http.js';
import { logCapture } from './helpers/log-capture.js';
import { MOSQUITTO, MOSQUITTO_SKIP, startMosquitto } from './helpers/mosquitto.js';

async function readyz(app: App): Promise<{ status: number; body: ReadyBody | NotReadyBody }> {
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  return { status: res.statusCode, body: res.json() };
}

async function healthz(app: App): Promise<number> {
  return (await app.inject({ method: 'GET', url: '/healthz' })).statusCode;
}

/** A blob store whose probe does what the test says: pass, throw, or never answer. */
class SwitchableFiles extends MemoryFileStore {
  mode: 'ok' | 'throw' | 'hang' = 'ok';
  override async probe(): Promise<void> {
    if (this.mode === 'throw') throw new Error('EROFS: read-only file system, blob root');
    if (this.mode === 'hang') await new Promise(() => {});
  }
}

async function untilStatus(app: App, status: number, withinMs: number): Promise<ReadyBody | NotReadyBody> {
  const end = Date.now() + withinMs;
  for (;;) {
    const r = await readyz(app);
    if (r.status === status) return r.body;
    if (Date.now() > end) assert.fail(`/readyz still ${r.status} after ${withinMs} ms: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

test('ready: 200 with every check ok and timed; no session needed; no broker check with MQTT off', async (t) => {
  const { app } = await testApp();
  t.after(() => app.close());
  const r = await readyz(app);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.ready, true);
  assert.deepEqual(Object.keys(r.body.checks).sort(), ['db', 'files']);
  for (const c of Object.values(r.body.checks)) {
    assert.equal(c.ok, true);
    assert.ok(c.ms >= 0 && c.ms < READY_CHECK_TIMEOUT_MS);
  }
  assert.equal(await healthz(app), 200);
});

test('embedded broker: the broker check is part of readiness and passes while it listens', async (t) => {
  const { app } = await testApp({ overrides: { mqtt: { enabled: true, port: 0 } } });
  t.after(() => app.close());
  const r = await readyz(app);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.checks.broker?.ok, true);
  assert.equal(app.broker?.connected, true);
});

test('database closed: 503 LW_CTRL_NOT_READY naming db; /healthz still 200', async (t) => {
  const store = await openSqliteStore({ path: ':memory:', busyTimeoutMs: 1000 });
  const { app } = await testApp({ store });
  t.after(() => app.close());
  assert.equal((await readyz(app)).status, 200);
  await store.close();
  const r = await readyz(app);
  assert.equal(r.status, 503);
  const body = r.body as NotReadyBody;
  assert.equal(body.code, 'LW_CTRL_NOT_READY');
  assert.equal(body.ready, false);
  assert.deepEqual(body.failing, ['db']);
  assert.equal(body.checks.db.code, 'LW_CTRL_DB_UNAVAILABLE');
  assert.equal(body.checks.db.reason, 'error');
  assert.equal(body.checks.files.ok, true);
  assert.match(body.message, /\bdb\b/);
  assert.doesNotMatch(r.body && JSON.stringify(r.body), /directory|sqlite|\/tmp/i, 'no internals in the answer');
  assert.equal(await healthz(app), 200);
});

test('blob store probe throws: 503 naming files, logged once per change with the cause; recovers', async (t) => {
  const files = new SwitchableFiles();
  const cap = logCapture('info');
  const { app } = await testApp({ files, logger: cap.logger });
  t.after(() => app.close());
  files.mode = 'throw';
  for (let i = 0; i < 3; i++) {
    const r = await readyz(app);
    assert.equal(r.status, 503);
    assert.deepEqual((r.body as NotReadyBody).failing, ['files']);
    assert.equal(r.body.checks.files.code, 'LW_CTRL_BLOB_STORE_UNAVAILABLE');
    assert.equal(r.body.checks.db.ok, true);
  }
  const warned = cap.lines.filter((l) => l.code === 'LW_CTRL_NOT_READY');
  assert.equal(warned.length, 1, 'one line per change, not one per probe');
  assert.match(JSON.stringify(warned[0]), /EROFS/);
  files.mode = 'ok';
  assert.equal((await readyz(app)).status, 200);
  assert.ok(cap.lines.some((l) => l.msg === 'ready again'));
});

test('hung dependency: the probe answers 503 (reason timeout) after the check timeout, not never', async (t) => {
  const files = new SwitchableFiles();
  const inner = await openSqliteStore({ path: ':memory:', busyTimeoutMs: 1000 });
  const store: Store = Object.create(inner, { ping: { value: () => new Promise<void>(() => {}) } });
  const { app } = await testApp({ files, store });
  t.after(async () => {
    await app.close();
    await inner.close();
  });
  files.mode = 'hang';
  const t0 = performance.now();
  const r = await readyz(app);
  const took = performance.now() - t0;
  assert.equal(r.status, 503);
  assert.deepEqual((r.body as NotReadyBody).failing, ['db', 'files']);
  assert.equal(r.body.checks.db.reason, 'timeout');
  assert.equal(r.body.checks.files.reason, 'timeout');
  // Checks run in parallel: one timeout, not two (generous upper bound for a loaded CI host).
  assert.ok(took >= READY_CHECK_TIMEOUT_MS - 50 && took < 2 * READY_CHECK_TIMEOUT_MS, `${took} ms`);
});

test(
  'external broker stopped: 503 naming broker; back to 200 once the client has reconnected',
  { skip: MOSQUITTO ? false : MOSQUITTO_SKIP, timeout: 90_000 },
  async (t) => {
    let mosq = (await startMosquitto())!;
    t.after(() => mosq.stop());
    const app = await build({
      logger: false,
      overrides: { mqtt: { enabled: true, mode: 'external', url: mosq.url } },
    });
    t.after(() => app.close());
    assert.equal((await readyz(app)).status, 200);
    const port = mosq.port;
    await mosq.stop();
    const down = (await untilStatus(app, 503, 10_000)) as NotReadyBody;
    assert.deepEqual(down.failing, ['broker']);
    assert.equal(down.checks.broker?.code, 'LW_CTRL_BROKER_UNAVAILABLE');
    assert.equal(await healthz(app), 200);
    mosq = (await startMosquitto({ port }))!;
    // mqtt.js retries every 2 s; both clients (ingest's and the rollout engine's) must be back.
    const up = await untilStatus(app, 200, 30_000);
    assert.equal(up.checks.broker?.ok, true);
  },
);
