/** Byte-exact layout checks: other implementations (a C++ agent, a Python tool) will be written against the README. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_LIMITS,
  ENVELOPE_PREFIX_BYTES,
  KINDS,
  decode,
  decodeEnvelope,
  encode,
  encodeEnvelope,
} from '../src/index.js';
import { frame as frameBytes, jpeg, mapPng, samples } from './samples.js';

const u32 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off);

test('score envelope (the protocol-1 form, on request): magic, version, kind, header, zero parts', () => {
  const bytes = encode('score', samples.score, { wire: 'envelope' });
  assert.deepEqual([...bytes.subarray(0, 4)], [0x4c, 0x57, 1, KINDS.score.id]);
  const h = u32(bytes, 4);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + h)));
  assert.deepEqual(header, samples.score);
  assert.equal(bytes[8 + h], 0);
  assert.equal(bytes.length, ENVELOPE_PREFIX_BYTES + h + 1);
});

test('event envelope: binary parts are raw (no base64) and in declared order', () => {
  const bytes = encode('event', samples.event);
  const h = u32(bytes, 4);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + h)));
  assert.equal(header.jpeg, undefined);
  assert.equal(header.anomalyMap, undefined);
  assert.equal(header.eventId, samples.event.eventId);
  let off = 8 + h;
  assert.equal(bytes[off++], 3);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 3; i++) {
    const len = u32(bytes, off);
    parts.push(bytes.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  assert.equal(off, bytes.length);
  assert.deepEqual(parts[0], jpeg);
  assert.deepEqual(parts[1], mapPng);
  const f = new DataView(parts[2]!.buffer, parts[2]!.byteOffset, parts[2]!.byteLength);
  assert.deepEqual(
    [0, 1, 2].map((i) => f.getFloat32(i * 4, true)),
    [0.25, -1.5, 3],
  );
  // Overhead over the raw images is the JSON header plus 8 + 1 + 4 per part.
  assert.equal(bytes.length, 8 + h + 1 + 4 * 3 + jpeg.length + mapPng.length + 12);
});

test('features are optional: two parts decode without them', () => {
  const { features: _omit, ...noFeatures } = samples.event;
  const back = decode('event', encode('event', noFeatures));
  assert.equal('features' in back, false);
  assert.deepEqual(back, noFeatures);
});

test('decoded parts are copies, independent of the receive buffer', () => {
  const bytes = encode('event', samples.event);
  const back = decode('event', bytes);
  bytes.fill(0);
  assert.deepEqual(back.jpeg, jpeg);
});

test('Buffer and offset views decode like plain Uint8Array', () => {
  const bytes = encode('threshold', samples.threshold, { wire: 'envelope' });
  const padded = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(bytes)]);
  assert.deepEqual(decode('threshold', padded.subarray(3)), samples.threshold);
});

test('encodeEnvelope/decodeEnvelope are symmetric', () => {
  const header = new TextEncoder().encode('{"a":1}');
  const parts = [Uint8Array.of(1, 2, 3), new Uint8Array(0)];
  const bytes = encodeEnvelope(77, header, parts, DEFAULT_LIMITS);
  const env = decodeEnvelope(bytes, DEFAULT_LIMITS, () => ({ min: 0, max: 4 }));
  assert.equal(env.version, 1);
  assert.equal(env.kindId, 77);
  assert.deepEqual(env.header, header);
  assert.deepEqual(env.parts, parts);
});

test('tolerant reader: unknown header fields from a newer peer are dropped; writers emit only the schema', () => {
  const newer = frameBytes(
    KINDS.health.id,
    JSON.stringify({ ...samples.health, gpuTempC: 71, outbox: { ...samples.health.outbox, oldestAgeS: 9 } }),
  );
  assert.deepStrictEqual(decode('health', newer), samples.health);
  const withExtra = { ...samples.score, debug: 'x' } as typeof samples.score;
  assert.deepStrictEqual(encode('score', withExtra), encode('score', samples.score));
  const wire = { wire: 'envelope' } as const;
  assert.deepStrictEqual(encode('score', withExtra, wire), encode('score', samples.score, wire));
});

test('a header that smuggles a binary field name cannot replace a part', () => {
  const { jpeg: _j, anomalyMap: _m, features: _f, ...header } = samples.event;
  const bytes = frameBytes(KINDS.event.id, JSON.stringify({ ...header, jpeg: 'AAAA' }), [jpeg, mapPng]);
  assert.deepEqual(decode('event', bytes).jpeg, jpeg);
});
