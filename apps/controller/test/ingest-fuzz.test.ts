/**
 * Ingest must never crash on hostile input: random bytes and bit-flipped valid envelopes, on every agent→controller
 * topic, are either rejected with a code or (if still valid) stored consistently. Bounded: a fixed number of runs,
 * fed straight into the ingest entry point (no network), with a fixed seed for reproducibility.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { testApp } from './helpers/http.js';
import { eventPub } from './helpers/messages.js';
import { prefix, provision } from './helpers/mqtt.js';

test('random and corrupted payloads on every topic never crash ingest', async () => {
  const { app } = await testApp({ overrides: { mqtt: { enabled: true, port: 0 } } });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const d = await provision(app.ctx.store, 'fuzz-1');
    const p = prefix(d);
    const topics = [`${p}/event/cam-1`, `${p}/score/cam-1`, `${p}/birth`, `${p}/death`, `${p}/status`, `${p}/health`, `${p}/model/report`];
    const valid = Buffer.from((await eventPub(d, 1)).payload);
    let delivered = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...topics),
        fc.oneof(
          fc.uint8Array({ maxLength: 256 }),
          // A valid event with a few bytes flipped (header, lengths or image data).
          fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
            const b = Buffer.from(valid);
            for (const [i, x] of flips) b[i]! ^= x;
            return new Uint8Array(b);
          }),
        ),
        (topic, bytes) => {
          app.ingest!.receive(topic, Buffer.from(bytes)); // must not throw
          delivered += 1;
        },
      ),
      { numRuns: 300, seed: 4242 },
    );
    await app.ingest!.idle();
    assert.deepEqual(unhandled, []);
    const m = await app.metrics.ingestMessages.get();
    const total = m.values.reduce((s, v) => s + v.value, 0);
    assert.equal(total, delivered, 'every message was counted with a result');
    // Anything that did get stored is a well-formed row of this device.
    for (const e of await app.ctx.store.listEvents({ limit: 1000 })) assert.equal(e.deviceId, 'fuzz-1');
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await app.close();
  }
});
