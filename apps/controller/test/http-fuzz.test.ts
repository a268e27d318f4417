/**
 * 10,000 hostile request bodies against the body-taking routes (device provisioning, user creation, mask upload,
 * label actions), sent with a valid admin session and CSRF token so they get past the guard to parsing and
 * validation. Every answer must be a success or a 4xx `{code: LW_CTRL_*, message}` — never a 5xx — and the
 * rejections must show up in /metrics with the same count. Fixed seed, fastify inject (no sockets).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { login, testApp } from './helpers/http.js';
import { logCapture, sumMetric } from './helpers/log-capture.js';
import { FRAME_H, FRAME_W, images } from './helpers/messages.js';
import { grayPng } from './helpers/png.js';

const RUNS = 10_000;

test(
  `${RUNS} fuzzed HTTP bodies: no 5xx, every rejection coded and counted in /metrics`,
  // Bounded by count; the time limit only catches a hang (an unloaded 2-core machine needs well under a minute).
  { timeout: 300_000 },
  async (t) => {
    const logs = logCapture('error');
    const { app, adminPassword } = await testApp({ logger: logs.logger });
    try {
      const admin = await login(app, 'admin', adminPassword);
      const { jpeg, map } = await images();
      const eventId = randomUUID();
      await app.ctx.store.events.insertOnce({
        id: eventId,
        deviceId: 'dev-1',
        sequence: 1,
        line: 'line-1',
        camera: 'cam-1',
        ts: new Date(),
        modelVersion: 'm1',
        score: 0.9,
        threshold: 0.5,
        frameRef: await app.ctx.files.put(jpeg),
        mapRef: await app.ctx.files.put(map),
        frameWidth: FRAME_W,
        frameHeight: FRAME_H,
        receivedAt: new Date(),
      });
      const mask = Buffer.from(
        grayPng(
          FRAME_W,
          FRAME_H,
          new Uint8Array(FRAME_W * FRAME_H).map((_, i) => (i % 7 ? 0 : 255)),
        ),
      );
      const slug = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,12}$/);
      // Near-valid JSON: right keys, values that are sometimes right, sometimes any JSON, sometimes extra keys.
      const wild = fc.oneof(fc.jsonValue(), fc.string({ maxLength: 300 }));
      const device = fc.record(
        {
          id: fc.oneof(slug, wild),
          name: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), wild),
          site: fc.oneof(slug, wild),
          line: fc.oneof(slug, wild),
          extra: wild,
        },
        { requiredKeys: [] },
      );
      // Users: never a valid password (scrypt per accepted user would dominate the run; acceptance is tested elsewhere).
      const user = fc.record(
        {
          username: fc.oneof(slug, wild),
          password: fc.oneof(fc.string({ maxLength: 11 }), wild),
          role: fc.oneof(fc.constantFrom('qa', 'admin', 'root'), wild),
          lines: fc.oneof(fc.array(slug), wild),
        },
        { requiredKeys: [] },
      );
      const jsonBody = (obj: fc.Arbitrary<unknown>) =>
        fc.oneof(
          { weight: 4, arbitrary: obj.map((o) => JSON.stringify(o)) },
          { weight: 2, arbitrary: fc.json() },
          { weight: 1, arbitrary: fc.string({ maxLength: 200 }) }, // mostly not JSON at all
          { weight: 1, arbitrary: obj.map((o) => JSON.stringify(o).slice(0, -1)) }, // truncated
        );
      const ctype = fc.oneof(
        { weight: 8, arbitrary: fc.constant('application/json') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'image/png',
            'application/json; charset=latin1',
          ),
        },
        { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
      );
      const flipped = fc
        .array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 })
        .map((flips) => {
          const b = Buffer.from(mask);
          for (const [i, x] of flips) b[i % b.length]! ^= x;
          return b;
        });
      const maskBody = fc.oneof(
        { weight: 4, arbitrary: flipped },
        { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }).map((u) => Buffer.from(u)) },
        { weight: 1, arbitrary: fc.nat().map((n) => mask.subarray(0, n % mask.length)) },
        {
          weight: 1,
          arbitrary: fc
            .integer({ min: 1, max: 64 })
            .map((w) => Buffer.from(grayPng(w, FRAME_H, new Uint8Array(w * FRAME_H)))),
        },
      );
      type Req = { method: 'POST' | 'PUT'; url: string; type: string; body: string | Buffer };
      const request: fc.Arbitrary<Req> = fc.oneof(
        fc
          .tuple(jsonBody(device), ctype)
          .map(([body, type]): Req => ({ method: 'POST', url: '/api/devices', type, body })),
        fc.tuple(jsonBody(user), ctype).map(([body, type]): Req => ({ method: 'POST', url: '/api/users', type, body })),
        fc
          .tuple(
            maskBody,
            fc.constantFrom('image/png', 'image/png', 'image/png', 'application/json', 'image/jpeg'),
            fc.constantFrom(eventId, eventId, randomUUID(), 'not-an-id'),
          )
          .map(([body, type, id]): Req => ({ method: 'PUT', url: `/api/events/${id}/mask`, type, body })),
        fc
          .tuple(jsonBody(wild), fc.constantFrom('confirm', 'reject', 'delete', '%00', 'confirm?x=1'))
          .map(([body, action]): Req => ({
            method: 'POST',
            url: `/api/events/${eventId}/${action}`,
            type: 'application/json',
            body,
          })),
      );

      const metricsBefore = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      const rejectedBefore = sumMetric(metricsBefore, 'lw_http_requests_total', (l) => Number(l.status) >= 400);
      const byStatus = new Map<string, number>();
      let rejected = 0;
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const res = await app.inject({
            method: r.method,
            url: r.url,
            headers: { ...admin.headers, 'content-type': r.type },
            payload: r.body,
          });
          sent += 1;
          assert.ok(res.statusCode < 500, `${r.method} ${r.url} → ${res.statusCode} ${res.body}`);
          if (res.statusCode >= 400) {
            rejected += 1;
            const body = res.json() as { code?: unknown; message?: unknown };
            assert.match(String(body.code), /^LW_CTRL_[A-Z0-9_]+$/, `uncoded rejection: ${res.body}`);
            assert.equal(typeof body.message, 'string');
            const k = `${res.statusCode} ${String(body.code)}`;
            byStatus.set(k, (byStatus.get(k) ?? 0) + 1);
          } else {
            byStatus.set(String(res.statusCode), (byStatus.get(String(res.statusCode)) ?? 0) + 1);
          }
        }),
        { numRuns: RUNS, seed: 777 },
      );
      assert.equal(sent, RUNS);
      await new Promise((r) => setImmediate(r)); // the metrics hook runs on response finish
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      const rejectedAfter = sumMetric(metrics, 'lw_http_requests_total', (l) => Number(l.status) >= 400);
      assert.equal(rejectedAfter - rejectedBefore, rejected, 'every rejection counted in lw_http_requests_total');
      assert.deepEqual(logs.lines, [], 'nothing logged at error level (no unexpected failure)');
      assert.ok(rejected > RUNS / 2, `most fuzz input is rejected (${rejected})`);
      t.diagnostic(`rejected ${rejected}/${RUNS}: ${JSON.stringify(Object.fromEntries([...byStatus].sort()))}`);
      // The app still works after the storm.
      assert.equal(
        (await app.inject({ method: 'GET', url: `/api/events/${eventId}`, headers: admin.headers })).statusCode,
        200,
      );
    } finally {
      await app.close();
    }
  },
);
