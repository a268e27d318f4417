import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MESSAGE_KINDS,
  PROTOCOL_VERSION,
  WIRE_FORMS,
  defaultWireForm,
  kindTravelsAs,
  wireFormOf,
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

describe('encode → decode round trip (every kind, both wire forms)', () => {
  for (const kind of MESSAGE_KINDS) {
    test(kind, () => {
      const forms = WIRE_FORMS.filter((f) => kindTravelsAs(kind, f));
      fc.assert(
        fc.property(messageArb(kind), fc.constantFrom(...forms), (message, wire) => {
          const bytes = encode(kind, message, { wire });
          assert.equal(wireFormOf(bytes), wire);
          const back = decode(kind, bytes);
          assert.deepStrictEqual(back, message);
          assert.ok(isMessage(kind, back));
          // Deterministic: encoding the decoded message yields the same bytes.
          assert.deepStrictEqual(encode(kind, back, { wire }), bytes);
          // The default form: JSON unless the kind has binary parts.
          assert.equal(wireFormOf(encode(kind, message)), defaultWireForm(kind));
        }),
        { numRuns: RUNS },
      );
    });
  }
});

test('decodeAny recovers the kind from the envelope and from the JSON payload', () => {
  fc.assert(
    fc.property(anyMessageArb, fc.constantFrom(...WIRE_FORMS), ({ kind, message }, wanted) => {
      const wire = kindTravelsAs(kind, wanted) ? wanted : 'envelope';
      const got = decodeAny(encode(kind, message as never, { wire }));
      assert.equal(got.kind, kind);
      assert.deepStrictEqual(got.message, message);
    }),
    { numRuns: RUNS },
  );
});

test('JSON form: plain JSON.parse reads v, kind and the message fields', () => {
  fc.assert(
    fc.property(anyMessageArb, ({ kind, message }) => {
      if (!kindTravelsAs(kind, 'json')) return;
      const parsed = JSON.parse(new TextDecoder().decode(encode(kind, message as never))) as Record<string, unknown>;
      assert.deepStrictEqual(Object.keys(parsed).slice(0, 2), ['v', 'kind']);
      const { v, kind: k, ...fields } = parsed;
      assert.equal(v, PROTOCOL_VERSION);
      assert.equal(k, kind);
      assert.deepStrictEqual(fields, JSON.parse(JSON.stringify(message)));
    }),
    { numRuns: RUNS },
  );
});

test('toPublication → fromPublication round trip (topic, QoS, retain, payload; both wire forms)', () => {
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
    fc.property(withTopic, fc.constantFrom(...WIRE_FORMS), ({ kind, message, params }, wanted) => {
      const wire = kindTravelsAs(kind, wanted) ? wanted : 'envelope';
      const pub = toPublication(
        kind as MessageKind,
        params as TopicParams<MessageKind>,
        message as MessageOf<MessageKind>,
        { wire },
      );
      assert.equal(wireFormOf(pub.payload), wire);
      assert.equal(pub.topic, buildTopic(kind, params as TopicParams<MessageKind>));
      const got = fromPublication(pub.topic, pub.payload);
      assert.equal(got.kind, kind);
      assert.equal(got.topic.device, params.device);
      assert.deepStrictEqual(got.message, message);
    }),
    { numRuns: RUNS },
  );
});
