/**
 * Hostile input never escapes as anything but a ProtocolError: random bytes, truncations, bit flips, trailing junk,
 * garbage headers inside valid framing, and garbage passed to encode. If decoding does succeed (a flip landed somewhere
 * harmless), the result must still be a valid message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  KINDS,
  MESSAGE_KINDS,
  ProtocolError,
  decode,
  decodeAny,
  encode,
  fromPublication,
  isMessage,
  toPublication,
} from '../src/index.js';
import type { MessageKind, ProtocolErrorCode } from '../src/index.js';
import { anyMessageArb } from './arbitraries.js';
import { frame as frameBytes } from './samples.js';

const RUNS = 1000;
const kindArb = fc.constantFrom(...MESSAGE_KINDS);

/** Runs `fn`; passes if it returns (and `onOk` accepts the value) or throws a ProtocolError (optionally of `code`). */
function onlyProtocolErrors<T>(fn: () => T, onOk: (v: T) => void = () => {}, code?: ProtocolErrorCode): void {
  let value: T;
  try {
    value = fn();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw new Error(`non-coded exception: ${String(e)}`, { cause: e });
    if (code !== undefined) assert.equal(e.code, code);
    return;
  }
  if (code !== undefined) assert.fail(`expected ${code}, got a value`);
  onOk(value);
}

const valid = (kind: MessageKind) => (m: unknown) =>
  assert.ok(isMessage(kind, m), 'decoded value must be a valid message');

/** Envelope form for every kind (what protocol-1 agents send): these properties are about the envelope's framing. */
const encoded = anyMessageArb.map(({ kind, message }) => ({
  kind,
  bytes: encode(kind, message as never, { wire: 'envelope' }),
}));

test('random bytes → ProtocolError', () => {
  fc.assert(
    fc.property(kindArb, fc.uint8Array({ maxLength: 512 }), (kind, bytes) => {
      onlyProtocolErrors(() => decode(kind, bytes), valid(kind));
      onlyProtocolErrors(() => decodeAny(bytes));
    }),
    { numRuns: RUNS },
  );
});

test('random bytes behind a valid prefix (magic, version, kind) → ProtocolError', () => {
  fc.assert(
    fc.property(kindArb, fc.uint8Array({ maxLength: 512 }), (kind, rest) => {
      const bytes = new Uint8Array(4 + rest.length);
      bytes.set([0x4c, 0x57, 1, KINDS[kind].id]);
      bytes.set(rest, 4);
      onlyProtocolErrors(() => decode(kind, bytes), valid(kind));
    }),
    { numRuns: RUNS },
  );
});

test('every truncation of a valid envelope → LW_PROTO_TRUNCATED', () => {
  fc.assert(
    fc.property(encoded, fc.nat(), ({ kind, bytes }, cut) => {
      const short = bytes.subarray(0, cut % bytes.length);
      onlyProtocolErrors(() => decode(kind, short), undefined, 'LW_PROTO_TRUNCATED');
    }),
    { numRuns: RUNS },
  );
});

test('bit flips in a valid envelope → valid message or ProtocolError', () => {
  fc.assert(
    fc.property(
      encoded,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }),
      ({ kind, bytes }, flips) => {
        const copy = bytes.slice();
        for (const [pos, bit] of flips) copy[pos % copy.length] = (copy[pos % copy.length] ?? 0) ^ (1 << bit);
        onlyProtocolErrors(() => decode(kind, copy), valid(kind));
        onlyProtocolErrors(() => decodeAny(copy));
      },
    ),
    { numRuns: RUNS },
  );
});

test('byte overwrites, insertions and deletions → valid message or ProtocolError', () => {
  const edit = fc.oneof(
    fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
  );
  fc.assert(
    fc.property(encoded, fc.array(edit, { minLength: 1, maxLength: 3 }), ({ kind, bytes }, edits) => {
      const arr = Array.from(bytes);
      for (const { op, at, value } of edits) {
        const i = at % (arr.length + 1);
        if (op === 'set' && i < arr.length) arr[i] = value;
        else if (op === 'insert') arr.splice(i, 0, value);
        else arr.splice(i, 1);
      }
      onlyProtocolErrors(() => decode(kind, Uint8Array.from(arr)), valid(kind));
    }),
    { numRuns: RUNS },
  );
});

test('trailing bytes after a valid envelope → LW_PROTO_TRAILING_BYTES', () => {
  fc.assert(
    fc.property(encoded, fc.uint8Array({ minLength: 1, maxLength: 16 }), ({ kind, bytes }, junk) => {
      const longer = new Uint8Array(bytes.length + junk.length);
      longer.set(bytes);
      longer.set(junk, bytes.length);
      onlyProtocolErrors(() => decode(kind, longer), undefined, 'LW_PROTO_TRAILING_BYTES');
    }),
    { numRuns: RUNS },
  );
});

const frame = (kind: MessageKind, header: Uint8Array, parts: Uint8Array[] = []): Uint8Array =>
  frameBytes(KINDS[kind].id, header, parts);

test('garbage headers (bytes, strings, JSON values) in valid framing → valid message or ProtocolError', () => {
  const enc = new TextEncoder();
  const header = fc.oneof(
    fc.uint8Array({ maxLength: 128 }),
    fc.string({ unit: 'binary', maxLength: 128 }).map((s) => enc.encode(s)),
    fc.json({ maxDepth: 4 }).map((s) => enc.encode(s)),
    fc
      .anything({ maxDepth: 3 })
      .map((v) => enc.encode(JSON.stringify({ ...(typeof v === 'object' ? v : { v }) }) ?? 'null')),
  );
  fc.assert(
    fc.property(kindArb, header, fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 }), (kind, h, parts) => {
      onlyProtocolErrors(() => decode(kind, frame(kind, h, parts)), valid(kind));
    }),
    { numRuns: RUNS },
  );
});

test('valid messages with one field replaced by garbage: encode and decode only throw ProtocolError', () => {
  const enc = new TextEncoder();
  fc.assert(
    fc.property(
      anyMessageArb,
      fc.nat(),
      fc.anything({ maxDepth: 2, withTypedArray: true }),
      ({ kind, message }, pick, junk) => {
        const m = { ...(message as Record<string, unknown>) };
        const keys = Object.keys(m);
        m[keys[pick % keys.length] as string] = junk;
        onlyProtocolErrors(
          () => encode(kind, m as never),
          (bytes) => valid(kind)(decode(kind, bytes)),
        );
        // The same object sent by a peer that skipped validation (binary fields dropped, JSON-able junk only).
        let text: string | undefined;
        try {
          text = JSON.stringify(m, (_k, v: unknown) =>
            ArrayBuffer.isView(v) || typeof v === 'bigint' ? undefined : v,
          );
        } catch {
          text = undefined; // fc.anything can build values JSON cannot express; not a protocol concern
        }
        if (text !== undefined) onlyProtocolErrors(() => decode(kind, frame(kind, enc.encode(text))), valid(kind));
      },
    ),
    { numRuns: RUNS },
  );
});

test('encode/decode with garbage arguments → ProtocolError', () => {
  fc.assert(
    fc.property(fc.oneof(kindArb, fc.string()), fc.anything({ maxDepth: 2, withTypedArray: true }), (kind, junk) => {
      onlyProtocolErrors(() => encode(kind as MessageKind, junk as never));
      onlyProtocolErrors(() => decode(kind as MessageKind, junk as never));
    }),
    { numRuns: RUNS },
  );
});

test('fromPublication/toPublication with arbitrary topics, payloads and params → ProtocolError', () => {
  const topicArb = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc
      .tuple(kindArb, fc.constantFrom('plant-1', '', 'a+b', 'x/y'), fc.constantFrom('edge-07', 'edge-08', '#'))
      .map(
        ([k, site, device]) =>
          `linewatch/v1/${site}/line-a/${device}/${(KINDS[k].suffix as readonly string[]).join('/').replace('{camera}', 'cam-1')}`,
      ),
  );
  fc.assert(
    fc.property(
      topicArb,
      fc.oneof(
        encoded.map((e) => e.bytes),
        fc.uint8Array({ maxLength: 64 }),
      ),
      (topic, payload) => {
        onlyProtocolErrors(() => fromPublication(topic, payload));
      },
    ),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(kindArb, fc.anything({ maxDepth: 2 }), fc.anything({ maxDepth: 2 }), (kind, params, message) => {
      onlyProtocolErrors(() => toPublication(kind, params as never, message as never));
    }),
    { numRuns: RUNS },
  );
});
