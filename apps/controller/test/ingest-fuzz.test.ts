/**
 * Ingest must never crash on hostile input: 10,000 payloads — random bytes, bit-flipped and truncated valid
 * envelopes of every kind, valid payloads on the wrong kind's topic, foreign/garbage topics — are each either
 * stored consistently or rejected with a logged LW_* code, and the rejections in /metrics match the log. Fed straight
 * into the ingest entry point (what the broker calls per delivery), fixed seed for reproducibility.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { testApp } from './helpers/http.js';
import { logCapture, sumMetric } from './helpers/log-capture.js';
import { birthPub, deathPub, eventPub, healthPub, scorePub, statusPub } from './helpers/messages.js';
import { prefix, provision } from './helpers/mqtt.js';

const RUNS = 10_000;
const REJECTED = new Set(['invalid', 'unknown_device', 'store_failed', 'dropped']);

test(
  `${RUNS} random, corrupted and misrouted payloads never crash ingest; every rejection is coded and counted`,
  { timeout: 90_000 },
  async (t) => {
    const logs = logCapture('warn');
    const { app } = await testApp({ logger: logs.logger, overrides: { mqtt: { enabled: true, port: 0 } } });
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const d = await provision(app.ctx.store, 'fuzz-1');
      const p = prefix(d);
      const topics = [
        `${p}/event/cam-1`,
        `${p}/score/cam-1`,
        `${p}/birth`,
        `${p}/death`,
        `${p}/status`,
        `${p}/health`,
        `${p}/model/report`,
      ];
      const wrongTopics = [
        `linewatch/v1/plant-a/line-9/fuzz-1/event/cam-1`, // provisioned device, other line
        `linewatch/v1/plant-a/line-1/ghost/birth`, // unknown device
        `${p}/ack`, // controller→agent kind
        `${p}/cmd/model`,
        `${p}/event`, // camera missing
        `linewatch/v2/plant-a/line-1/fuzz-1/birth`,
        `${p}/event/cam+1`,
      ];
      // Each valid payload with its own topic: flips on a matching topic reach the deeper checks (schema, images, DB).
      const valids: [string, Buffer][] = [
        await eventPub(d, 1),
        scorePub(d, 'cam-1', 1, 0.4, Date.now()),
        birthPub(d, 1),
        deathPub(d, 1),
        statusPub(d, 1),
        healthPub(d),
      ].map((x) => [x.topic, Buffer.from(x.payload)]);
      const flip = (v: Buffer, flips: [number, number][]): Buffer => {
        const b = Buffer.from(v);
        for (const [i, x] of flips) b[i % b.length]! ^= x;
        return b;
      };
      const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 });
      const anyTopic = fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...topics) },
        { weight: 2, arbitrary: fc.constantFrom(...wrongTopics) },
        { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
      );
      const input: fc.Arbitrary<[string, Buffer]> = fc.oneof(
        {
          weight: 2,
          arbitrary: fc.tuple(
            anyTopic,
            fc.uint8Array({ maxLength: 256 }).map((u) => Buffer.from(u)),
          ),
        },
        {
          weight: 5,
          arbitrary: fc
            .tuple(fc.constantFrom(...valids), flips)
            .map(([[tp, v], f]): [string, Buffer] => [tp, flip(v, f)]),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom(...valids), fc.nat())
            .map(([[tp, v], n]): [string, Buffer] => [tp, v.subarray(0, n % v.length)]),
        },
        // Valid payloads on another kind's, another device's or a malformed topic.
        {
          weight: 1,
          arbitrary: fc.tuple(anyTopic, fc.constantFrom(...valids)).map(([tp, [, v]]): [string, Buffer] => [tp, v]),
        },
      );
      let delivered = 0;
      fc.assert(
        fc.property(input, ([tp, bytes]) => {
          app.ingest!.receive(tp, bytes); // must not throw
          delivered += 1;
        }),
        { numRuns: RUNS, seed: 4242 },
      );
      await app.ingest!.idle();
      assert.equal(delivered, RUNS);
      assert.deepEqual(unhandled, []);

      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      const total = sumMetric(metrics, 'lw_ingest_messages_total');
      const rejectedCounted = sumMetric(metrics, 'lw_ingest_messages_total', (l) => REJECTED.has(l.result ?? ''));
      assert.equal(total, RUNS, 'every message was counted with a result');
      const rejections = logs.lines.filter((l) => /rejected|not acked|dropped|unexpectedly/.test(l.msg));
      for (const l of rejections) {
        assert.match(l.code ?? '', /^LW_CTRL_[A-Z0-9_]+$/, `rejection without a code: ${JSON.stringify(l)}`);
        if (l.code === 'LW_CTRL_INGEST_INVALID' && l.reason !== undefined)
          assert.match(l.reason, /^LW_PROTO_[A-Z0-9_]+$/);
      }
      assert.equal(rejections.length, rejectedCounted, 'one coded log line per counted rejection');
      assert.equal(
        sumMetric(metrics, 'lw_ingest_messages_total', (l) => l.result === 'store_failed'),
        0,
        'nothing broke the store',
      );
      assert.deepEqual(
        logs.lines.filter((l) => l.code === 'LW_CTRL_INTERNAL'),
        [],
        'no unexpected failure',
      );
      assert.ok(rejectedCounted > RUNS / 2, `most fuzz input is rejected (${rejectedCounted})`);
      const byCode = new Map<string, number>();
      for (const l of rejections) byCode.set(l.reason ?? l.code!, (byCode.get(l.reason ?? l.code!) ?? 0) + 1);
      t.diagnostic(`rejected ${rejectedCounted}/${RUNS}: ${JSON.stringify(Object.fromEntries(byCode))}`);
      // Anything that did get stored is a well-formed row of this device.
      for (const e of await app.ctx.store.events.list({ limit: 1000 })) assert.equal(e.deviceId, 'fuzz-1');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await app.close();
    }
  },
);
