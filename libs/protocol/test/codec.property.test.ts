import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MESSAGE_KINDS,
  buildTopic,
  decode,
  decodeAny,
  encode,
  fromPublication,
  isMessage,
  toPublication,
} from '../src/index.js';
import type { MessageKind, MessageOf, TopicParams } from '../src/index.js';
import { anyMessageArb, messageArb, segmentArb } from './arbitraries.js';

const RUNS = 1000;

describe('encode → decode round trip (every kind)', () => {
  for (const kind of MESSAGE_KINDS) {
    test(kind, () => {
      fc.assert(
        fc.property(messageArb(kind), (message) => {
          const bytes = encode(kind, message);
          const back = decode(kind, bytes);
          assert.deepStrictEqual(back, message);
          assert.ok(isMessage(kind, back));
          // Deterministic: encoding the decoded message yields the same bytes.
          assert.deepStrictEqual(encode(kind, back), bytes);
        }),
        { numRuns: RUNS },
      );
    });
  }
});

test('decodeAny recovers the kind from the envelope', () => {
  fc.assert(
    fc.property(anyMessageArb, ({ kind, message }) => {
      const got = decodeAny(encode(kind, message as never));
      assert.equal(got.kind, kind);
      assert.deepStrictEqual(got.message, message);
    }),
    { numRuns: RUNS },
  );
});

test('toPublication → fromPublication round trip (topic, QoS, retain, payload)', () => {
  const withTopic = fc
    .tuple(anyMessageArb, segmentArb, segmentArb, segmentArb)
    .map(([{ kind, message }, site, line, device]) => {
      // Bind the payload's device/camera to the topic, as a producer must.
      const m = { ...(message as Record<string, unknown>) };
      if ('device' in m) m['device'] = device;
      const params = { site, line, device, camera: typeof m['camera'] === 'string' ? m['camera'] : 'cam-0' };
      return { kind, message: m, params };
    });
  fc.assert(
    fc.property(withTopic, ({ kind, message, params }) => {
      const pub = toPublication(
        kind as MessageKind,
        params as TopicParams<MessageKind>,
        message as MessageOf<MessageKind>,
      );
      assert.equal(pub.topic, buildTopic(kind, params as TopicParams<MessageKind>));
      const got = fromPublication(pub.topic, pub.payload);
      assert.equal(got.kind, kind);
      assert.equal(got.topic.device, params.device);
      assert.deepStrictEqual(got.message, message);
    }),
    { numRuns: RUNS },
  );
});
