/**
 * The JSON wire form under hostile input: random text, truncations, bit flips, byte edits, arbitrary JSON values and
 * valid payloads with one field (or `v` / `kind`) replaced by garbage. As for the envelope (fuzz.property.test.ts),
 * decoding may only yield a valid message or throw a ProtocolError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MESSAGE_KINDS, ProtocolError, decode, decodeAny, encode, isMessage, kindTravelsAs } from '../src/index.js';
import type { MessageKind, ProtocolErrorCode } from '../src/index.js';
import { anyMessageArb } from './arbitraries.js';

const RUNS = 1000;
const jsonKinds = MESSAGE_KINDS.filter((k) => kindTravelsAs(k, 'json'));
const kindArb = fc.constantFrom(...MESSAGE_KINDS);
const enc = new TextEncoder();

function onlyProtocolErrors(fn: () => unknown, kind?: MessageKind, codes?: readonly ProtocolErrorCode[]): void {
  let value: unknown;
  try {
    value = fn();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw new Error(`non-coded exception: ${String(e)}`, { cause: e });
    if (codes !== undefined) assert.ok(codes.includes(e.code), `${e.code} not in ${codes.join(', ')}`);
    return;
  }
  if (codes !== undefined) assert.fail(`expected one of ${codes.join(', ')}, got a value`);
  if (kind !== undefined) assert.ok(isMessage(kind, value), 'decoded value must be a valid message');
}

const jsonEncoded = anyMessageArb
  .filter(({ kind }) => kindTravelsAs(kind, 'json'))
  .map(({ kind, message }) => ({ kind, message, bytes: encode(kind, message as never) }));

test('random text opening a JSON object → valid message or ProtocolError', () => {
  fc.assert(
    fc.property(kindArb, fc.string({ unit: 'binary', maxLength: 300 }), (kind, s) => {
      const bytes = enc.encode(`{${s}`);
      onlyProtocolErrors(() => decode(kind, bytes), kind);
      onlyProtocolErrors(() => decodeAny(bytes));
    }),
    { numRuns: RUNS },
  );
});

test('every truncation of a JSON payload → INVALID_JSON (INVALID_UTF8 when the cut splits a character)', () => {
  fc.assert(
    fc.property(jsonEncoded, fc.nat(), ({ kind, bytes }, cut) => {
      const at = 1 + (cut % (bytes.length - 1)); // keep the opening brace: a JSON payload, cut short
      onlyProtocolErrors(() => decode(kind, bytes.subarray(0, at)), kind, [
        'LW_PROTO_INVALID_JSON',
        'LW_PROTO_INVALID_UTF8',
      ]);
    }),
    { numRuns: RUNS },
  );
});

test('bit flips and byte edits in a JSON payload → valid message or ProtocolError', () => {
  const edit = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), op: fc.nat({ max: 2 }) });
  fc.assert(
    fc.property(jsonEncoded, fc.array(edit, { minLength: 1, maxLength: 4 }), ({ kind, bytes }, edits) => {
      const arr = Array.from(bytes);
      for (const { at, value, op } of edits) {
        const i = at % (arr.length + 1);
        if (op === 0 && i < arr.length) arr[i] = (arr[i] ?? 0) ^ (1 << (value % 8));
        else if (op === 1) arr.splice(i, 0, value);
        else arr.splice(i, 1);
      }
      const edited = Uint8Array.from(arr);
      onlyProtocolErrors(() => decode(kind, edited), kind);
      onlyProtocolErrors(() => decodeAny(edited));
    }),
    { numRuns: RUNS },
  );
});

test('arbitrary JSON objects with a valid v and kind → valid message or ProtocolError', () => {
  fc.assert(
    fc.property(kindArb, fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 })), (kind, obj) => {
      const bytes = enc.encode(JSON.stringify({ ...obj, v: 2, kind }));
      onlyProtocolErrors(() => decode(kind, bytes), kind);
      onlyProtocolErrors(() => decodeAny(bytes));
    }),
    { numRuns: RUNS },
  );
});

test('valid JSON payloads with one field, v or kind replaced by any JSON value → valid message or ProtocolError', () => {
  fc.assert(
    fc.property(jsonEncoded, fc.nat(), fc.jsonValue({ maxDepth: 2 }), ({ kind, bytes }, pick, junk) => {
      const obj = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
      const keys = Object.keys(obj);
      obj[keys[pick % keys.length] as string] = junk;
      const edited = enc.encode(JSON.stringify(obj));
      onlyProtocolErrors(() => decode(kind, edited), kind);
      onlyProtocolErrors(() => decodeAny(edited));
    }),
    { numRuns: RUNS },
  );
});

test('trailing junk after a JSON payload → INVALID_JSON; whitespace around it is JSON and decodes', () => {
  fc.assert(
    fc.property(jsonEncoded, fc.string({ minLength: 1, maxLength: 8 }), ({ kind, message, bytes }, junk) => {
      const padded = enc.encode(`\n ${new TextDecoder().decode(bytes)}\r\n`);
      assert.deepStrictEqual(decode(kind, padded), message);
      if (junk.trim() === '') return;
      const longer = enc.encode(`${new TextDecoder().decode(bytes)}${junk.trim()}`);
      onlyProtocolErrors(() => decode(kind, longer), kind, ['LW_PROTO_INVALID_JSON']);
    }),
    { numRuns: RUNS },
  );
});

test('the JSON form exists for every kind without binary parts, and only for those', () => {
  assert.deepEqual(
    jsonKinds,
    MESSAGE_KINDS.filter((k) => k !== 'event'),
  );
});
