/**
 * A "user-supplied" ONNX backbone: our own MobileNetV2 plan exported to ONNX with the taps as outputs, plus a
 * manifest, in a temp dir. The ONNX path must give the native path's features and deployed outputs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportModel, Graph, type TensorData } from '@linewatch/graph';
import { float32, InferenceSession } from '@linewatch/inference';
import onnxProto from 'onnx-proto';
import {
  applyBackbone,
  buildBackbonePlan,
  decodeWeights,
  loadNsfwjsModel,
  openOnnxBackbone,
  parseKerasTopology,
  type BackboneManifest,
} from '@linewatch/backbones';
import {
  buildFeatureGraph,
  buildInferenceGraph,
  MAP_OUTPUT,
  OnnxFeatureExtractor,
  onnxInferenceModel,
  onnxModelConfig,
  PRESETS,
  SCORE_OUTPUT,
} from '../src/index.js';
import { seededImage } from './helpers.js';

const { onnx } = onnxProto;
// User ONNX backbones have no intensity tap, so the native path they are compared with runs without it too.
const tiny = { ...PRESETS.tiny.model, intensityTap: false };
const [H, W] = tiny.inputSize;
const files = loadNsfwjsModel('mobilenet_v2');
const plan = buildBackbonePlan(
  parseKerasTopology(files.modelTopology),
  decodeWeights(files.weightsManifest, files.shards),
  tiny.taps,
  tiny.inputSize,
);

/** Our plan as a plain ONNX file: input `input_1`, outputs `feat_s4`, `feat_s8` (block_2_add, block_5_add). */
function userBackboneBytes(opset?: number): Uint8Array {
  const g = new Graph();
  const image = g.input('input_1', [1, 3, H, W]);
  const [s4, s8] = applyBackbone(g, image, plan);
  const bytes = exportModel({ graph: g, outputs: { feat_s4: s4!, feat_s8: s8! }, paramsAs: 'initializers' }).bytes;
  if (opset === undefined) return bytes;
  const m = onnx.ModelProto.decode(bytes);
  m.opsetImport = [{ domain: '', version: opset }];
  return onnx.ModelProto.encode(m).finish();
}

const MANIFEST: BackboneManifest = {
  id: 'mnv2-user',
  onnx: 'backbone.onnx',
  inputName: 'input_1',
  inputSize: [H, W],
  normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255, channelOrder: 'RGB' },
  features: [
    { output: 'feat_s4', stride: 4 },
    { output: 'feat_s8', stride: 8, channels: 32 },
  ],
};

let root = '';
let n = 0;
function backboneDir(manifest: unknown, onnxBytes: Uint8Array | null): string {
  const dir = join(root, `bb${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'backbone.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  if (onnxBytes) writeFileSync(join(dir, 'backbone.onnx'), onnxBytes);
  return dir;
}

let good = '';
before(() => {
  root = mkdtempSync(join(tmpdir(), 'adtr-onnx-backbone-'));
  good = backboneDir(MANIFEST, userBackboneBytes());
});
after(() => rmSync(root, { recursive: true, force: true }));

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

test('onnxModelConfig maps the preset onto the opened backbone', async () => {
  const bb = await openOnnxBackbone(good);
  const cfg = onnxModelConfig(bb, tiny);
  assert.deepEqual(cfg.grid, tiny.grid);
  assert.equal(onnxModelConfig(bb, PRESETS.tiny.model).intensityTap, undefined, 'the intensity tap is dropped');
  assert.deepEqual(cfg.taps, ['feat_s4', 'feat_s8']);
  // A backbone at a larger input keeps the preset's grid stride.
  assert.deepEqual(onnxModelConfig({ inputSize: [128, 96], taps: bb.taps }, tiny).grid, [16, 12]);
});

test('ONNX-backbone features equal the native feature graph (≤ 1e-5)', async (t) => {
  const bb = await openOnnxBackbone(join(good, 'backbone.json'));
  const ex = await OnnxFeatureExtractor.create(bb, onnxModelConfig(bb, tiny), { threads: 1 });
  const fg = buildFeatureGraph(plan, tiny, 1);
  const native = await InferenceSession.open(
    exportModel({ graph: fg.graph, outputs: { features: fg.features }, paramsAs: 'initializers' }).bytes,
  );
  try {
    for (const seed of [1, 2]) {
      const img = seededImage(3 * H * W, seed);
      const want = (await native.run({ image: float32(img, [1, 3, H, W]) }))['features']!.data as Float32Array;
      const got = await ex.run(img);
      assert.equal(got.length, ex.channels * tiny.grid[0] * tiny.grid[1]);
      const d = maxDiff(got, want);
      assert.ok(d <= 1e-5, `max |Δ| ${d}`);
      t.diagnostic(`features max |Δ| ${d.toExponential(2)}`);
      assert.ok(
        want.some((v) => Math.abs(v) > 0.1),
        'features are not trivially zero',
      );
    }
  } finally {
    await ex.release();
    await native.release();
  }
});

test('a tap may be any intermediate tensor, and the batch dimension may be symbolic', async () => {
  // Only the stride-8 tap is a graph output; the stride-4 one is the block_2_add result inside the graph.
  const g = new Graph();
  const image = g.input('input_1', [1, 3, H, W]);
  const [s4, s8] = applyBackbone(g, image, plan);
  const inner = s4!.producer!.inputs[0]!.name;
  const m = onnx.ModelProto.decode(
    exportModel({ graph: g, outputs: { feat_s8: s8! }, paramsAs: 'initializers' }).bytes,
  );
  m.graph!.input![0]!.type!.tensorType!.shape!.dim![0] = { dimParam: 'N' };
  const dir = backboneDir(
    { ...MANIFEST, features: [{ output: inner, stride: 4 }, MANIFEST.features[1]] },
    onnx.ModelProto.encode(m).finish(),
  );
  const bb = await openOnnxBackbone(dir);
  const ex = await OnnxFeatureExtractor.create(bb, onnxModelConfig(bb, tiny), { threads: 1 });
  const fg = buildFeatureGraph(plan, tiny, 1);
  const native = await InferenceSession.open(
    exportModel({ graph: fg.graph, outputs: { features: fg.features }, paramsAs: 'initializers' }).bytes,
  );
  try {
    const img = seededImage(3 * H * W, 7);
    const want = (await native.run({ image: float32(img, [1, 3, H, W]) }))['features']!.data as Float32Array;
    assert.ok(maxDiff(await ex.run(img), want) <= 1e-5);
  } finally {
    await ex.release();
    await native.release();
  }
});

/** Trained-looking params: the seeded init with non-trivial feature statistics. */
function paramsOf(g: Graph): Map<string, TensorData> {
  const p = new Map<string, TensorData>();
  let k = 0;
  for (const [name, e] of g.params) {
    const v = Float32Array.from(e.init as Float32Array);
    if (name === 'adtr.feature_mean') v.forEach((_, i) => (v[i] = Math.sin(i + k)));
    if (name === 'adtr.feature_std') v.forEach((_, i) => (v[i] = 0.5 + ((i * 7) % 5) / 4));
    p.set(name, v);
    k++;
  }
  return p;
}

async function runModel(bytes: Uint8Array, img: Float32Array): Promise<{ map: Float32Array; score: number }> {
  const s = await InferenceSession.open(bytes, { intraOpThreads: 1 });
  try {
    const out = await s.run({ image: float32(img, [1, 3, H, W]) });
    assert.deepEqual(
      s.inputs.map((i) => i.name),
      ['image'],
    );
    assert.deepEqual([...s.outputs.map((o) => o.name)].sort(), [MAP_OUTPUT, SCORE_OUTPUT].sort());
    return {
      map: out[MAP_OUTPUT]!.data as Float32Array,
      score: (out[SCORE_OUTPUT]!.data as Float32Array)[0] as number,
    };
  } finally {
    await s.release();
  }
}

for (const opset of [undefined, 13, 18]) {
  test(`merged deployed graph equals the native deployed graph (≤ 1e-4), backbone opset ${opset ?? 17}`, async (t) => {
    const dir = opset === undefined ? good : backboneDir(MANIFEST, userBackboneBytes(opset));
    const bb = await openOnnxBackbone(dir);
    assert.equal(bb.opset, opset ?? 17);
    const ig = buildInferenceGraph(plan, tiny, 3);
    const params = paramsOf(ig.graph);
    const value = (name: string) => params.get(name)!;
    const nativeBytes = exportModel({
      graph: ig.graph,
      outputs: { [MAP_OUTPUT]: ig.map, [SCORE_OUTPUT]: ig.score },
      paramsAs: 'initializers',
      paramValue: value,
    }).bytes;
    const merged = onnxInferenceModel(bb, onnxModelConfig(bb, tiny), value);
    const mp = onnx.ModelProto.decode(merged);
    assert.equal(Number(String(mp.opsetImport.find((o) => !o.domain)!.version)), Math.max(17, opset ?? 17));
    assert.ok(
      mp.graph!.node!.some((nd) => nd.name?.startsWith('user_backbone/')),
      'backbone nodes are prefixed',
    );
    for (const seed of [4, 9]) {
      const img = seededImage(3 * H * W, seed);
      const a = await runModel(nativeBytes, img);
      const b = await runModel(merged, img);
      const d = maxDiff(b.map, a.map);
      assert.ok(d <= 1e-4, `map max |Δ| ${d}`);
      t.diagnostic(`map max |Δ| ${d.toExponential(2)}, score |Δ| ${Math.abs(a.score - b.score).toExponential(2)}`);
      assert.ok(Math.abs(a.score - b.score) <= 1e-4, `score ${b.score} vs ${a.score}`);
      assert.ok(a.score > 0);
    }
  });
}
