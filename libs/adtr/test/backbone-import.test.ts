import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildBackbonePlan, decodeWeights, isAdtrError, loadNsfwjsModel, loadTfjsDirectory, parseKerasTopology,
  type LayersModelFiles,
} from '../src/index.js';
import { nhwcToChw, runPlan } from './plan-executor.js';
import { tfjsTaps } from './tfjs-reference.js';

const shared035 = resolve(fileURLToPath(new URL('../../../../shared/backbones/mobilenetv2-035-imagenet-tfjs', import.meta.url)));
const TAPS = ['block_5_add', 'block_12_add'];

function seededImage(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1; // the [-1, 1] range MobileNetV2 expects
  }
  return out;
}

async function checkAgainstTfjs(files: LayersModelFiles): Promise<number> {
  const graph = parseKerasTopology(files.modelTopology);
  const weights = decodeWeights(files.weightsManifest, files.shards);
  const plan = buildBackbonePlan(graph, weights, TAPS);
  const [h, w, c] = graph.inputShape;
  const nhwc = seededImage(h * w * c, 7);
  const ref = await tfjsTaps(graph, weights, nhwc, TAPS);
  const ours = runPlan(plan, nhwcToChw(nhwc, h, w, c));
  let maxErr = 0;
  plan.taps.forEach((tap, i) => {
    const [tc, th, tw] = tap.shape;
    const expected = nhwcToChw(ref[i] as Float32Array, th, tw, tc);
    const got = ours.get(tap.name) as Float32Array;
    assert.equal(got.length, expected.length, `${tap.name} size`);
    for (let k = 0; k < got.length; k++) maxErr = Math.max(maxErr, Math.abs((got[k] as number) - (expected[k] as number)));
  });
  return maxErr;
}

test('nsfwjs MobileNetV2: folded plan matches TF.js at the taps (≤ 1e-4)', async () => {
  const files = loadNsfwjsModel('mobilenet_v2');
  const plan = buildBackbonePlan(parseKerasTopology(files.modelTopology), decodeWeights(files.weightsManifest, files.shards), TAPS);
  assert.deepEqual(plan.taps.map((t) => [t.name, t.shape, t.stride]), [
    ['block_5_add', [32, 28, 28], 8],
    ['block_12_add', [96, 14, 14], 16],
  ]);
  const err = await checkAgainstTfjs(files);
  assert.ok(err <= 1e-4, `max abs error ${err}`);
});

test('shared MobileNetV2-0.35 (nested Sequential export) matches TF.js', { skip: !existsSync(shared035) && 'shared backbone absent' }, async () => {
  const err = await checkAgainstTfjs(loadTfjsDirectory(shared035));
  assert.ok(err <= 1e-4, `max abs error ${err}`);
});

test('unknown taps, unsupported layers and short weights are coded errors', () => {
  const files = loadNsfwjsModel('mobilenet_v2');
  const graph = parseKerasTopology(files.modelTopology);
  const weights = decodeWeights(files.weightsManifest, files.shards);
  assert.throws(() => buildBackbonePlan(graph, weights, ['no_such_layer']), (e) => isAdtrError(e, 'LW_ADTR_BACKBONE_TAP'));
  // The classification head (Flatten, Dense) is not importable as a feature tap.
  assert.throws(() => buildBackbonePlan(graph, weights, ['dense_1']), (e) => isAdtrError(e, 'LW_ADTR_BACKBONE_LAYER'));
  const short = files.shards.map((s) => s.subarray(0, s.length - 10));
  assert.throws(() => decodeWeights(files.weightsManifest, short), (e) => isAdtrError(e, 'LW_ADTR_BACKBONE_WEIGHTS'));
  assert.throws(() => parseKerasTopology({ foo: 1 }), (e) => isAdtrError(e, 'LW_ADTR_BACKBONE_FORMAT'));
  assert.throws(() => loadTfjsDirectory('/nonexistent'), (e) => isAdtrError(e, 'LW_ADTR_BACKBONE_NOT_FOUND'));
});

test('quantised weights decode as q * scale + min; float16 decodes exactly', () => {
  const groups = [{ paths: ['x'], weights: [
    { name: 'a/kernel', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } },
    { name: 'b/kernel', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
  ] }];
  const bytes = new Uint8Array([0, 2, 4, 0x00, 0x3c, 0x00, 0xc0]); // 1.0 and -2.0 as little-endian halves
  const w = decodeWeights(groups, [bytes]);
  assert.deepEqual(Array.from(w.get('a/kernel')!.data), [-1, 0, 1]);
  assert.deepEqual(Array.from(w.get('b/kernel')!.data), [1, -2]);
});
