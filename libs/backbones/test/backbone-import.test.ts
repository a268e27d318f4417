import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildBackbonePlan,
  decodeWeights,
  isBackboneError,
  loadNsfwjsModel,
  loadTfjsDirectory,
  parseKerasTopology,
} from '../src/index.js';

const TAPS = ['block_5_add', 'block_12_add'];

test('plans keep only what the taps need, with tap shapes and strides', () => {
  const files = loadNsfwjsModel('mobilenet_v2');
  const plan = buildBackbonePlan(
    parseKerasTopology(files.modelTopology),
    decodeWeights(files.weightsManifest, files.shards),
    TAPS,
  );
  assert.deepEqual(
    plan.taps.map((t) => [t.name, t.shape, t.stride]),
    [
      ['block_5_add', [32, 28, 28], 8],
      ['block_12_add', [96, 14, 14], 16],
    ],
  );
  assert.ok(!plan.ops.some((o) => o.name.startsWith('block_13')), 'layers after the last tap are dropped');
  assert.ok(
    plan.ops.every((o) => o.kind !== 'conv' || o.bias.every(Number.isFinite)),
    'BatchNorm folded into finite biases',
  );
});

test("Inception plans: pools with TF 'same'/'valid' pads, channel concats, multi-scale taps at 128 px", () => {
  const files = loadNsfwjsModel('inception_v3');
  const plan = buildBackbonePlan(
    parseKerasTopology(files.modelTopology),
    decodeWeights(files.weightsManifest, files.shards),
    ['mixed2', 'mixed5', 'mixed7'],
    [128, 128],
  );
  // 128 → 63 (3×3/2 valid) → 61 → 61 → 30 (max 3×3/2) → 30 → 28 → 13 (max) = mixed0–2; mixed3 halves to 6.
  assert.deepEqual(
    plan.taps.map((t) => [t.name, t.shape]),
    [
      ['mixed2', [288, 13, 13]],
      ['mixed5', [768, 6, 6]],
      ['mixed7', [768, 6, 6]],
    ],
  );
  const pools = plan.ops.filter((o) => o.kind === 'pool');
  assert.ok(pools.some((o) => o.mode === 'max' && o.pads.every((p) => p === 0)));
  assert.ok(pools.some((o) => o.mode === 'average' && o.pads.join() === '1,1,1,1'));
  const mixed2 = plan.ops.find((o) => o.name === 'mixed2');
  assert.ok(mixed2?.kind === 'concat' && mixed2.inputs.length === 4);
  assert.ok(!plan.ops.some((o) => o.name === 'mixed8'), 'layers after the last tap are dropped');
});

test('unknown taps, unsupported layers and short weights are coded errors', () => {
  const files = loadNsfwjsModel('mobilenet_v2');
  const graph = parseKerasTopology(files.modelTopology);
  const weights = decodeWeights(files.weightsManifest, files.shards);
  assert.throws(
    () => buildBackbonePlan(graph, weights, ['no_such_layer']),
    (e) => isBackboneError(e, 'LW_BACKBONE_TAP'),
  );
  // The classification head (Flatten, Dense) is not importable as a feature tap.
  assert.throws(
    () => buildBackbonePlan(graph, weights, ['dense_1']),
    (e) => isBackboneError(e, 'LW_BACKBONE_LAYER'),
  );
  const short = files.shards.map((s) => s.subarray(0, s.length - 10));
  assert.throws(
    () => decodeWeights(files.weightsManifest, short),
    (e) => isBackboneError(e, 'LW_BACKBONE_WEIGHTS'),
  );
  assert.throws(
    () => parseKerasTopology({ foo: 1 }),
    (e) => isBackboneError(e, 'LW_BACKBONE_FORMAT'),
  );
  assert.throws(
    () => loadTfjsDirectory('/nonexistent'),
    (e) => isBackboneError(e, 'LW_BACKBONE_NOT_FOUND'),
  );
});

test('quantised weights decode as q * scale + min; float16 decodes exactly', () => {
  const groups = [
    {
      paths: ['x'],
      weights: [
        { name: 'a/kernel', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } },
        { name: 'b/kernel', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
      ],
    },
  ];
  const bytes = new Uint8Array([0, 2, 4, 0x00, 0x3c, 0x00, 0xc0]); // 1.0 and -2.0 as little-endian halves
  const w = decodeWeights(groups, [bytes]);
  assert.deepEqual(Array.from(w.get('a/kernel')!.data), [-1, 0, 1]);
  assert.deepEqual(Array.from(w.get('b/kernel')!.data), [1, -2]);
});
