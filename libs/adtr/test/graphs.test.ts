import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyBackbone,
  buildBackbonePlan,
  decodeWeights,
  loadNsfwjsModel,
  parseKerasTopology,
} from '@linewatch/backbones';
import { exportModel, Graph } from '@linewatch/graph';
import { float32, InferenceSession } from '@linewatch/inference';
import {
  buildFeatureGraph,
  buildInferenceGraph,
  buildTrainingGraph,
  featureChannels,
  isAdtrError,
  PRESETS,
  MAP_OUTPUT,
  SCORE_OUTPUT,
  tapsToGrid,
} from '../src/index.js';
import { seededImage } from './helpers.js';

const tiny = PRESETS.tiny.model;
const files = loadNsfwjsModel('mobilenet_v2');
const plan = buildBackbonePlan(
  parseKerasTopology(files.modelTopology),
  decodeWeights(files.weightsManifest, files.shards),
  tiny.taps,
  tiny.inputSize,
);

test('the inference graph outputs a non-negative input-size map and its pooled max as the score', async () => {
  const ig = buildInferenceGraph(plan, tiny, 3);
  const model = exportModel({
    graph: ig.graph,
    outputs: { [MAP_OUTPUT]: ig.map, [SCORE_OUTPUT]: ig.score },
    paramsAs: 'initializers',
    paramValue: (name) => ig.graph.params.get(name)!.init,
  });
  const s = await InferenceSession.open(model.bytes);
  const [h, w] = tiny.inputSize;
  const out = await s.run({ image: float32(seededImage(3 * h * w, 5), [1, 3, h, w]) });
  await s.release();
  const map = out[MAP_OUTPUT]!.data as Float32Array;
  assert.deepEqual(out[MAP_OUTPUT]!.dims, [1, 1, h, w]);
  assert.ok(map.every((v) => v >= 0 && Number.isFinite(v)));
  const k = tiny.scorePool;
  let best = -Infinity;
  for (let y = 0; y + k <= h; y++)
    for (let x = 0; x + k <= w; x++) {
      let s2 = 0;
      for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) s2 += map[(y + dy) * w + x + dx] as number;
      best = Math.max(best, s2 / (k * k));
    }
  const score = (out[SCORE_OUTPUT]!.data as Float32Array)[0] as number;
  assert.ok(Math.abs(score - best) < 1e-4 * Math.max(1, best), `score ${score} vs pooled max ${best}`);
});

test('feature and training graphs agree on channels and token count', () => {
  const fg = buildFeatureGraph(plan, tiny, 2);
  const c = featureChannels(plan, tiny);
  assert.deepEqual(fg.features.shape, [2, c, ...tiny.grid]);
  for (const kind of ['norm', 'px', 'img'] as const) {
    const tg = buildTrainingGraph(tiny, c, 4, kind, PRESETS.tiny.loss);
    assert.equal(tg.loss.size, 1);
    assert.deepEqual(tg.tokenMap.shape, [4, 1, ...tiny.grid]);
  }
  // The same parameter names in the same order in training and inference graphs, so weights carry over.
  const trainNames = [...buildTrainingGraph(tiny, c, 4, 'norm', PRESETS.tiny.loss).graph.params.keys()];
  const inferNames = [...buildInferenceGraph(plan, tiny).graph.params.keys()];
  assert.deepEqual(trainNames, inferNames);
});

test('bad configurations are coded errors', () => {
  assert.throws(
    () => buildInferenceGraph(plan, { ...tiny, heads: 5 }),
    (e) => isAdtrError(e, 'LW_ADTR_CONFIG'),
  );
  assert.throws(
    () => buildInferenceGraph(plan, { ...tiny, inputSize: [96, 96] }),
    (e) => isAdtrError(e, 'LW_ADTR_CONFIG'),
  );
  assert.throws(
    () => buildTrainingGraph(tiny, 8, 2, 'img', { alpha: 0.003, topK: 1000 }),
    (e) => isAdtrError(e, 'LW_ADTR_CONFIG'),
  );
});

test("intensity tap: the last channels are each cell's input mean minus the frame mean", async () => {
  const cfg = { ...tiny, intensityTap: true };
  const noTap = { ...tiny, intensityTap: false };
  const fg = buildFeatureGraph(plan, cfg, 1);
  const c = featureChannels(plan, cfg);
  assert.equal(c, featureChannels(plan, noTap) + 3);
  assert.deepEqual(fg.features.shape, [1, c, ...tiny.grid]);
  const [h, w] = tiny.inputSize;
  const [rows, cols] = tiny.grid;
  const image = seededImage(3 * h * w, 9);
  const s = await InferenceSession.open(
    exportModel({ graph: fg.graph, outputs: { features: fg.features }, paramsAs: 'initializers' }).bytes,
  );
  const out = (await s.run({ image: float32(image, [1, 3, h, w]) }))['features']!.data as Float32Array;
  await s.release();
  const plain = buildFeatureGraph(plan, noTap, 1);
  const s2 = await InferenceSession.open(
    exportModel({ graph: plain.graph, outputs: { features: plain.features }, paramsAs: 'initializers' }).bytes,
  );
  const base = (await s2.run({ image: float32(image, [1, 3, h, w]) }))['features']!.data as Float32Array;
  await s2.release();
  const T = rows * cols;
  assert.deepEqual(out.subarray(0, base.length), base, 'the backbone channels are unchanged');
  const ch = h / rows,
    cw = w / cols;
  for (let k = 0; k < 3; k++) {
    const cells = new Float64Array(T);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        cells[Math.floor(y / ch) * cols + Math.floor(x / cw)]! += image[k * h * w + y * w + x]! / (ch * cw);
    const mean = cells.reduce((a, b) => a + b, 0) / T;
    for (let t = 0; t < T; t++) {
      const got = out[base.length + k * T + t]!;
      assert.ok(Math.abs(got - (cells[t]! - mean)) < 1e-4, `channel ${k} token ${t}: ${got} vs ${cells[t]! - mean}`);
    }
  }
  assert.throws(
    () => buildFeatureGraph(plan, { ...cfg, grid: [7, 7] }),
    (e) => isAdtrError(e, 'LW_ADTR_CONFIG'),
  );
});

test('taps are resized to the token grid and concatenated along channels', () => {
  const at224 = buildBackbonePlan(
    parseKerasTopology(files.modelTopology),
    decodeWeights(files.weightsManifest, files.shards),
    ['block_5_add', 'block_12_add'],
  );
  const g = new Graph();
  const tokens = tapsToGrid(applyBackbone(g, g.input('image', [2, 3, 224, 224]), at224), [14, 14]);
  assert.deepEqual(tokens.shape, [2, 32 + 96, 14, 14]);
});
