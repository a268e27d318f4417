/**
 * Controller logs: pino JSON lines with the shared base fields (service, version, pid, hostname), request logs with
 * `requestId` (an incoming well-formed x-request-id kept and echoed, anything else replaced), the level from config.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONTROLLER_VERSION } from '../src/http/logging.js';
import { testApp } from './helpers/http.js';
import { logCapture } from './helpers/log-capture.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('every line carries service, version, pid and hostname; request lines carry requestId', async (t) => {
  const cap = logCapture('info');
  const { app } = await testApp({ logger: cap.logger });
  t.after(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'lb-7f3a.42:1' } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['x-request-id'], 'lb-7f3a.42:1');
  assert.ok(cap.lines.length > 0);
  for (const l of cap.lines) {
    assert.equal(l['service'], 'controller', JSON.stringify(l));
    assert.equal(l['version'], CONTROLLER_VERSION);
    assert.equal(l['pid'], process.pid);
    assert.equal(typeof l['hostname'], 'string');
    assert.equal(typeof l['time'], 'number');
  }
  const request = cap.lines.filter((l) => l['requestId'] !== undefined);
  assert.deepEqual(
    request.map((l) => [l.msg, l['requestId']]),
    [
      ['incoming request', 'lb-7f3a.42:1'],
      ['request completed', 'lb-7f3a.42:1'],
    ],
  );
  assert.ok(!cap.lines.some((l) => 'reqId' in l), "fastify's default label is replaced, not added");
});

test('a malformed or oversized x-request-id is replaced by a fresh UUID; none given gets one too', async (t) => {
  const cap = logCapture('info');
  const { app } = await testApp({ logger: cap.logger });
  t.after(() => app.close());
  const ids: string[] = [];
  for (const given of ['x'.repeat(129), 'a b', 'id\n{"level":60}', '', undefined]) {
    const res = await app.inject({
      method: 'GET',
      url: '/healthz',
      ...(given === undefined ? {} : { headers: { 'x-request-id': given } }),
    });
    const id = String(res.headers['x-request-id']);
    assert.match(id, UUID, `for ${JSON.stringify(given)}`);
    ids.push(id);
  }
  assert.equal(new Set(ids).size, ids.length, 'one id per request');
  const logged = new Set(cap.lines.map((l) => l['requestId']).filter((x) => x !== undefined));
  assert.deepEqual([...logged].sort(), [...ids].sort());
});

test('the request id is echoed on refusals too (401 from the guard, 404)', async (t) => {
  const { app } = await testApp();
  t.after(() => app.close());
  const refused = await app.inject({ method: 'GET', url: '/api/devices', headers: { 'x-request-id': 'r-401' } });
  assert.equal(refused.statusCode, 401);
  assert.equal(refused.headers['x-request-id'], 'r-401');
  const missing = await app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'r-404' } });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.headers['x-request-id'], 'r-404');
});

test('the level comes from config.logLevel: at info a debug line is dropped, at warn an info line too', async (t) => {
  for (const level of ['info', 'warn'] as const) {
    const lines: Array<{ level: number; msg: string }> = [];
    const stream = { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) };
    // No level in the logger options: the config's applies.
    const { app } = await testApp({ logger: { stream }, overrides: { logLevel: level } });
    t.after(() => app.close());
    app.log.debug('debug line');
    app.log.info('info line');
    app.log.warn('warn line');
    const msgs = lines.map((l) => l.msg);
    assert.ok(!msgs.includes('debug line'), level);
    assert.equal(msgs.includes('info line'), level === 'info', level);
    assert.ok(msgs.includes('warn line'), level);
    assert.equal(lines.find((l) => l.msg === 'warn line')?.level, 40);
  }
});
