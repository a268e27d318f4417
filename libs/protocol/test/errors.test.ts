/** One concrete trigger per catalogue code, and proof that the catalogue has no code without a trigger. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ERROR_CATALOGUE,
  ERROR_CODES,
  KINDS,
  ProtocolError,
  buildTopic,
  decode,
  decodeAny,
  encode,
  fromPublication,
  isProtocolError,
  parseTopic,
  toPublication,
} from '../src/index.js';
import type { ProtocolErrorCode } from '../src/index.js';
import { pngHeader } from '../src/images.js';
import { ApiClient, ApiError } from '../src/client/index.js';
import { SessionRoute } from '../src/http/index.js';
import { address, frame, jpeg, mapPng, samples } from './samples.js';

const SCORE = KINDS.score.id;
const EVENT = KINDS.event.id;
const eventHeader = JSON.stringify({ ...samples.event, jpeg: undefined, anomalyMap: undefined, features: undefined });
/** The previous (protocol 1) form: the envelope's own checks are reached through it. */
const scoreBytes = encode('score', samples.score, { wire: 'envelope' });
const scoreJson = encode('score', samples.score);
const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** A client whose fetch answers with `answer` (the HTTP codes' triggers). */
const clientWith = (answer: typeof fetch, timeoutMs?: number): ApiClient =>
  new ApiClient({ baseUrl: 'http://127.0.0.1:9', fetch: answer, ...(timeoutMs ? { timeoutMs } : {}) });
const never: typeof fetch = (_url, init) =>
  new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));

const triggers: Record<ProtocolErrorCode, [string, () => unknown][]> = {
  LW_PROTO_INVALID_ARGUMENT: [
    ['decode a string', () => decode('score', 'LW' as never)],
    ['negative limit', () => decode('score', scoreBytes, { maxBytes: -1 })],
    ['parseTopic(number)', () => parseTopic(42 as never)],
    ['unknown wire form', () => encode('score', samples.score, { wire: 'xml' as never })],
  ],
  LW_PROTO_UNKNOWN_KIND: [
    ['encode unknown kind', () => encode('telemetry' as never, {} as never)],
    ['decodeAny unknown kind id', () => decodeAny(frame(200, '{}'))],
    ['decodeAny JSON without a kind', () => decodeAny(json({ v: 2, ...samples.score }))],
    ['decodeAny JSON with an unknown kind', () => decodeAny(json({ v: 2, kind: 'telemetry', ...samples.score }))],
  ],
  LW_PROTO_TOO_LARGE: [
    ['score payload over 1 KiB', () => decode('score', new Uint8Array(2048))],
    ['configured limit', () => decode('score', scoreBytes, { maxBytes: 10 })],
    ['JSON over its configured limit', () => decode('score', scoreJson, { maxBytes: 10 })],
    ['JSON score over 1 KiB', () => decode('score', json({ v: 2, kind: 'score', pad: 'x'.repeat(1100) }))],
    ['decodeAny JSON over its kind limit', () => decodeAny(json({ v: 2, kind: 'score', pad: 'x'.repeat(1100) }))],
    ['encode JSON over limit', () => encode('ack', samples.ack, { maxBytes: 20 })],
    [
      'declared header length over limit',
      () => decode('score', Uint8Array.from([0x4c, 0x57, 1, SCORE, 0xff, 0xff, 0xff, 0xff, 0])),
    ],
    ['encode over limit', () => encode('event', samples.event, { maxPartBytes: 4 })],
  ],
  LW_PROTO_TRUNCATED: [
    ['empty payload', () => decode('score', new Uint8Array(0))],
    ['prefix only', () => decode('score', Uint8Array.from([0x4c, 0x57, 1, SCORE, 0, 0]))],
    ['last byte missing', () => decode('score', scoreBytes.subarray(0, scoreBytes.length - 1))],
    ['part shorter than declared', () => decode('event', frame(EVENT, eventHeader, [jpeg, mapPng]).subarray(0, -3))],
  ],
  LW_PROTO_BAD_MAGIC: [
    ['zip file', () => decode('score', Uint8Array.from([0x50, 0x4b, 3, 4]))],
    ['a JSON array', () => decode('score', json([samples.score]))],
  ],
  LW_PROTO_UNSUPPORTED_VERSION: [
    ['envelope version 2', () => decode('score', frame(SCORE, JSON.stringify(samples.score), [], 2))],
    ['JSON without v', () => decode('score', json({ kind: 'score', ...samples.score }))],
    ['JSON v 3', () => decode('score', json({ v: 3, kind: 'score', ...samples.score }))],
    ['JSON v as a string', () => decode('score', json({ v: '2', kind: 'score', ...samples.score }))],
  ],
  LW_PROTO_KIND_MISMATCH: [
    ['score bytes decoded as health', () => decode('health', scoreBytes)],
    ['JSON score decoded as health', () => decode('health', scoreJson)],
    ['JSON without a kind', () => decode('score', json({ v: 2, ...samples.score }))],
  ],
  LW_PROTO_WIRE_FORM: [
    ['event as JSON on encode', () => encode('event', samples.event, { wire: 'json' })],
    ['event as JSON on decode', () => decode('event', json({ v: 2, kind: 'event', ...samples.event }))],
    ['decodeAny event as JSON', () => decodeAny(json({ v: 2, kind: 'event' }))],
  ],
  LW_PROTO_INVALID_UTF8: [
    ['lone continuation byte', () => decode('score', frame(SCORE, Uint8Array.from([0x7b, 0x80, 0x7d])))],
    ['overlong encoding', () => decode('score', frame(SCORE, Uint8Array.from([0x22, 0xc0, 0xaf, 0x22])))],
    ['JSON payload with a lone continuation byte', () => decode('score', Uint8Array.from([0x7b, 0x80, 0x7d]))],
  ],
  LW_PROTO_INVALID_JSON: [
    ['unterminated object', () => decode('score', frame(SCORE, '{"camera":'))],
    ['array instead of object', () => decode('score', frame(SCORE, '[1,2]'))],
    ['BOM is not JSON', () => decode('score', frame(SCORE, '\ufeff{}'))],
    ['truncated JSON payload', () => decode('score', scoreJson.subarray(0, scoreJson.length - 1))],
    ['JSON payload with trailing junk', () => decode('score', Uint8Array.from([...scoreJson, 0x78]))],
  ],
  LW_PROTO_SCHEMA_VIOLATION: [
    ['wrong type', () => decode('score', frame(SCORE, JSON.stringify({ ...samples.score, score: 'high' })))],
    ['missing field', () => decode('score', frame(SCORE, JSON.stringify({ ...samples.score, camera: undefined })))],
    ['JSON wrong type', () => decode('score', json({ v: 2, kind: 'score', ...samples.score, score: 'high' }))],
    [
      'JSON cross-field rule',
      () => decode('ack', json({ v: 2, kind: 'ack', ...samples.ack, eventIds: ['abcdefgh', 'abcdefgh'] })),
    ],
    ['negative score on encode', () => encode('score', { ...samples.score, score: -1 })],
    ['NaN on encode', () => encode('score', { ...samples.score, score: Number.NaN })],
    ['cross-field rule', () => encode('modelReport', { ...samples.modelReport, state: 'live' })],
    ['rollback with shadow', () => encode('desiredModel', { ...samples.desiredModel, rollback: true })],
    [
      'non-finite features',
      () => encode('event', { ...samples.event, features: Float32Array.from([Number.POSITIVE_INFINITY]) }),
    ],
  ],
  LW_PROTO_PART_COUNT: [
    ['event with one part', () => decode('event', frame(EVENT, eventHeader, [jpeg]))],
    ['score with a part', () => decode('score', frame(SCORE, JSON.stringify(samples.score), [jpeg]))],
  ],
  LW_PROTO_PART_INVALID: [
    [
      'features not a multiple of 4',
      () => decode('event', frame(EVENT, eventHeader, [jpeg, mapPng, new Uint8Array(5)])),
    ],
  ],
  LW_PROTO_IMAGE_INVALID: [
    ['PNG where the JPEG goes', () => decode('event', frame(EVENT, eventHeader, [mapPng, mapPng]))],
    ['JPEG where the map goes', () => decode('event', frame(EVENT, eventHeader, [jpeg, jpeg]))],
    [
      '16-bit map',
      () =>
        encode('event', {
          ...samples.event,
          anomalyMap: (() => {
            const p = pngHeader(4, 4);
            p[24] = 16;
            return p;
          })(),
        }),
    ],
    [
      'RGB map',
      () =>
        encode('event', {
          ...samples.event,
          anomalyMap: (() => {
            const p = pngHeader(4, 4);
            p[25] = 2;
            return p;
          })(),
        }),
    ],
  ],
  LW_PROTO_TRAILING_BYTES: [['one extra byte', () => decode('score', Uint8Array.from([...scoreBytes, 0]))]],
  LW_PROTO_TOPIC_MALFORMED: [
    ['foreign root', () => parseTopic('spBv1.0/group/NDATA/node')],
    ['other version', () => parseTopic('linewatch/v2/s/l/d/status')],
    ['too short', () => parseTopic('linewatch/v1/s/l')],
  ],
  LW_PROTO_TOPIC_SEGMENT: [
    ['wildcard in device', () => buildTopic('status', { ...address, device: 'edge+' })],
    ['empty line in topic', () => parseTopic('linewatch/v1/s//d/status')],
    ['slash in camera', () => buildTopic('score', { ...address, camera: 'a/b' })],
  ],
  LW_PROTO_TOPIC_UNKNOWN_KIND: [['unknown suffix', () => parseTopic('linewatch/v1/s/l/d/telemetry')]],
  LW_PROTO_TOPIC_MISMATCH: [
    [
      'payload device differs from topic',
      () => fromPublication(buildTopic('status', { ...address, device: 'edge-08' }), encode('status', samples.status)),
    ],
    ['camera differs on publish', () => toPublication('score', { ...address, camera: 'cam-2' }, samples.score)],
  ],
  LW_PROTO_HTTP_NETWORK: [
    ['fetch fails', () => clientWith(() => Promise.reject(new TypeError('fetch failed'))).call(SessionRoute)],
  ],
  LW_PROTO_HTTP_TLS: [
    [
      'certificate from an untrusted CA',
      () =>
        clientWith(() =>
          Promise.reject(
            new TypeError('fetch failed', {
              cause: Object.assign(new Error('self-signed certificate in certificate chain'), {
                code: 'SELF_SIGNED_CERT_IN_CHAIN',
              }),
            }),
          ),
        ).call(SessionRoute),
    ],
  ],
  LW_PROTO_HTTP_TIMEOUT: [['no answer within the timeout', () => clientWith(never, 20).call(SessionRoute)]],
  LW_PROTO_HTTP_REPLY_INVALID: [
    [
      '200 body off the schema',
      () => clientWith(() => Promise.resolve(Response.json({ user: null }))).call(SessionRoute),
    ],
  ],
};

describe('every error code has a trigger', () => {
  test('the catalogue and the trigger table list the same codes', () => {
    assert.deepEqual(Object.keys(triggers).sort(), [...ERROR_CODES].sort());
    for (const code of ERROR_CODES) assert.ok(ERROR_CATALOGUE[code].length > 10, code);
  });
  for (const code of ERROR_CODES) {
    for (const [name, fn] of triggers[code]) {
      // The HTTP client's codes reject (async) with an ApiError; everything else throws a ProtocolError.
      test(`${code}: ${name}`, async () => {
        await assert.rejects(
          async () => fn(),
          (e: unknown) => {
            assert.ok(
              e instanceof ProtocolError || e instanceof ApiError,
              `expected ProtocolError or ApiError, got ${String(e)}`,
            );
            assert.equal(e.code, code, e.message);
            assert.ok(e.message.startsWith(code));
            assert.ok(Object.isFrozen(e.details));
            assert.doesNotThrow(() => JSON.stringify(e));
            return true;
          },
        );
      });
    }
  }
});

test('ProtocolError shape', () => {
  const e = new ProtocolError('LW_PROTO_TRUNCATED', undefined, { needed: 9 });
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'ProtocolError');
  assert.equal(e.message, `LW_PROTO_TRUNCATED: ${ERROR_CATALOGUE.LW_PROTO_TRUNCATED}`);
  assert.deepEqual(JSON.parse(JSON.stringify(e)).details, { needed: 9 });
  assert.ok(isProtocolError(e, 'LW_PROTO_TRUNCATED'));
  assert.ok(!isProtocolError(e, 'LW_PROTO_BAD_MAGIC'));
  assert.ok(!isProtocolError(new Error('x')));
});

test('schema violations name the failing path', () => {
  try {
    decode('score', frame(SCORE, JSON.stringify({ ...samples.score, score: 'high' })));
    assert.fail('should throw');
  } catch (e) {
    assert.ok(isProtocolError(e, 'LW_PROTO_SCHEMA_VIOLATION'));
    const errors = e.details['errors'] as { path: string }[];
    assert.ok(
      errors.some((x) => x.path === '/score'),
      JSON.stringify(errors),
    );
  }
});
