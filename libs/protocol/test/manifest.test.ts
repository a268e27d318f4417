import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProtocolError, isManifest, parseManifest, serializeManifest, validateManifest } from '../src/index.js';
import type { Manifest, ProtocolErrorCode } from '../src/index.js';

const RUNS = 1000;
const hex = (c: string): string => c.repeat(64);

const manifest: Manifest = {
  schemaVersion: 1,
  modelId: 'bottle-cap',
  version: '2.4.0',
  build: 61,
  createdAt: '2026-11-28T12:00:00.000Z',
  backbone: { id: 'mobilenetv2-imagenet' },
  input: { width: 256, height: 256, channels: 3 },
  normalization: {
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    scale: 1 / 255,
    channelOrder: 'RGB',
    colour: 'rgb',
  },
  featureTaps: ['block_3_expand_relu', 'block_6_expand_relu'],
  tokenGrid: { rows: 32, cols: 32 },
  preset: 'balanced',
  metrics: { imageAuroc: 0.987, pixelAuroc: 0.962 },
  threshold: { value: 0.48, method: 'f1-max' },
  files: [
    { path: 'model.onnx', sha256: hex('a'), bytes: 9_400_000 },
    { path: 'golden/ok-1.jpg', sha256: hex('b'), bytes: 40_000 },
  ],
  signing: { scheme: 'ed25519', keyId: 'lw-release-2026' },
  selfTest: { tolerance: 0.01, frames: [{ path: 'golden/ok-1.jpg', expectedScore: 0.12 }] },
};

const code = (fn: () => unknown): ProtocolErrorCode => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  throw new Error('did not throw');
};

describe('manifest', () => {
  test('valid manifest round-trips through its canonical text', () => {
    const text = serializeManifest(manifest);
    assert.ok(text.endsWith('\n'));
    assert.deepStrictEqual(parseManifest(text), manifest);
    assert.deepStrictEqual(parseManifest(new TextEncoder().encode(text)), manifest);
    assert.ok(isManifest(manifest));
  });

  test('unknown fields from a newer trainer are dropped, not fatal', () => {
    const m = parseManifest(JSON.stringify({ ...manifest, futureField: 1, input: { ...manifest.input, extra: true } }));
    assert.deepStrictEqual(m, manifest);
  });

  test('the scoring rule is optional, round-trips, and only known rules with a positive pool pass', () => {
    const withMean: Manifest = { ...manifest, scoring: { rule: 'map-mean', pool: 96 } };
    assert.deepStrictEqual(parseManifest(serializeManifest(withMean)), withMean);
    assert.ok(isManifest({ ...manifest, scoring: { rule: 'pooled-max', pool: 16 } }));
    assert.equal(
      code(() => validateManifest({ ...manifest, scoring: { rule: 'median', pool: 16 } })),
      'LW_PROTO_SCHEMA_VIOLATION',
    );
    assert.equal(
      code(() => validateManifest({ ...manifest, scoring: { rule: 'map-mean', pool: 0 } })),
      'LW_PROTO_SCHEMA_VIOLATION',
    );
  });

  test('invalid manifests are coded', () => {
    const bad = (patch: Record<string, unknown>): ProtocolErrorCode =>
      code(() => validateManifest({ ...manifest, ...patch }));
    assert.equal(bad({ version: '2.4' }), 'LW_PROTO_SCHEMA_VIOLATION');
    assert.equal(bad({ build: 0 }), 'LW_PROTO_SCHEMA_VIOLATION');
    assert.equal(bad({ createdAt: '28/11/2026' }), 'LW_PROTO_SCHEMA_VIOLATION');
    assert.equal(bad({ signing: { scheme: 'rsa', keyId: 'k' } }), 'LW_PROTO_SCHEMA_VIOLATION');
    assert.equal(bad({ files: [{ path: '../etc/passwd', sha256: hex('a'), bytes: 1 }] }), 'LW_PROTO_SCHEMA_VIOLATION');
    assert.equal(
      bad({ files: [{ path: '/abs/model.onnx', sha256: hex('a'), bytes: 1 }] }),
      'LW_PROTO_SCHEMA_VIOLATION',
    );
    assert.equal(bad({ files: [{ path: 'weights.bin', sha256: hex('a'), bytes: 1 }] }), 'LW_PROTO_SCHEMA_VIOLATION'); // no model.onnx
    assert.equal(bad({ files: [...manifest.files, manifest.files[0]] }), 'LW_PROTO_SCHEMA_VIOLATION'); // duplicate path
    assert.equal(
      bad({ files: [{ path: 'model.onnx', sha256: 'A'.repeat(64), bytes: 1 }] }),
      'LW_PROTO_SCHEMA_VIOLATION',
    );
    assert.equal(bad({ normalization: { ...manifest.normalization, mean: [0.5] } }), 'LW_PROTO_SCHEMA_VIOLATION');
    assert.equal(bad({ normalization: { ...manifest.normalization, std: [0, 1, 1] } }), 'LW_PROTO_SCHEMA_VIOLATION');
    assert.equal(
      bad({ normalization: { ...manifest.normalization, colour: 'grayscale' } }),
      'LW_PROTO_SCHEMA_VIOLATION',
    );
    assert.equal(
      bad({ selfTest: { tolerance: 0.1, frames: [{ path: 'golden/missing.jpg', expectedScore: 0.1 }] } }),
      'LW_PROTO_SCHEMA_VIOLATION',
    );
    assert.equal(bad({ metrics: { auroc: 'high' } }), 'LW_PROTO_SCHEMA_VIOLATION');
    assert.equal(
      code(() => parseManifest('{')),
      'LW_PROTO_INVALID_JSON',
    );
    assert.equal(
      code(() => parseManifest('null')),
      'LW_PROTO_INVALID_JSON',
    );
    assert.equal(
      code(() => parseManifest(Uint8Array.from([0x7b, 0xff, 0x7d]))),
      'LW_PROTO_INVALID_UTF8',
    );
    assert.equal(
      code(() => parseManifest('x'.repeat(100), 10)),
      'LW_PROTO_TOO_LARGE',
    );
    assert.equal(
      code(() => parseManifest(42 as never)),
      'LW_PROTO_INVALID_ARGUMENT',
    );
  });

  const segment = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,15}$/);
  const manifestArb: fc.Arbitrary<Manifest> = fc
    .record({
      channels: fc.constantFrom(1 as const, 3 as const),
      version: fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99)).map((v) => v.join('.')),
      build: fc.integer({ min: 1, max: 1_000_000 }),
      extra: fc.uniqueArray(
        fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')),
        { maxLength: 4 },
      ),
      score: fc.double({ min: 0, max: 10, noNaN: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
      mean: fc.double({ min: -10, max: 10, noNaN: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
      withSelfTest: fc.boolean(),
    })
    .map(({ channels, version, build, extra, score, mean, withSelfTest }) => {
      const paths = ['model.onnx', ...extra.filter((p) => p !== 'model.onnx')];
      const m: Manifest = {
        ...manifest,
        version,
        build,
        input: { ...manifest.input, channels },
        normalization: {
          ...manifest.normalization,
          mean: Array(channels).fill(mean),
          std: Array(channels).fill(0.25),
          colour: channels === 1 ? 'grayscale' : 'rgb',
        },
        files: paths.map((path) => ({ path, sha256: hex('c'), bytes: 1 })),
      };
      if (withSelfTest) m.selfTest = { tolerance: 0.05, frames: paths.map((path) => ({ path, expectedScore: score })) };
      else delete m.selfTest;
      return m;
    })
    .filter((m) => isManifest(m)); // segments like "." or ".." are (rightly) rejected by the path rule

  test('property: serialize → parse round trip', () => {
    fc.assert(
      fc.property(manifestArb, (m) => assert.deepStrictEqual(parseManifest(serializeManifest(m)), m)),
      { numRuns: RUNS },
    );
  });

  test('property: arbitrary text/bytes/JSON and mutated manifests → Manifest or ProtocolError', () => {
    const input = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }),
      fc.json({ maxDepth: 3 }),
      fc
        .tuple(fc.constantFrom(...Object.keys(manifest)), fc.jsonValue({ maxDepth: 2 }))
        .map(([k, v]) => JSON.stringify({ ...manifest, [k]: v })),
    );
    fc.assert(
      fc.property(input, (i) => {
        try {
          assert.ok(isManifest(parseManifest(i)));
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
        }
      }),
      { numRuns: RUNS },
    );
  });
});
