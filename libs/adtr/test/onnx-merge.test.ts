/**
 * A foreign-looking ONNX backbone written by hand at the protobuf level — BatchNormalization, Swish (x·sigmoid(x),
 * EfficientNet's activation), initializers also listed as graph inputs (old exporters), unnamed nodes, a symbolic
 * batch, and tensor names that collide with ours (`image`, `tap_0`, `adtr.feature_mean`). The merged model must
 * equal "user model, then our head" run as two separate models.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportModel, type TensorData } from '@linewatch/graph';
import { float32, InferenceSession } from '@linewatch/inference';
import { openOnnxBackbone } from '@linewatch/backbones';
import onnxProto from 'onnx-proto';
import {
  buildHeadGraph,
  MAP_OUTPUT,
  onnxInferenceModel,
  onnxModelConfig,
  PRESETS,
  SCORE_OUTPUT,
  tapInputName,
} from '../src/index.js';
import { seededImage } from './helpers.js';

const { onnx } = onnxProto;
const S = 48;

function tensor(
  name: string,
  dims: number[],
  seed: number,
  scale = 0.3,
  offset = 0,
): NonNullable<ConstructorParameters<typeof onnx.TensorProto>[0]> {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = seededImage(n, seed).map((v) => v * scale + offset);
  return { name, dataType: 1, dims, rawData: new Uint8Array(data.buffer) };
}

function info(name: string, dims: (number | string)[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: 1,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** image → conv s2 → BN → swish = "tap_0" (stride 2, 8 ch) → conv s2 → relu = "adtr.feature_mean" (stride 4, 12 ch). */
function foreignModel(): Uint8Array {
  const inits = [
    tensor('w1', [8, 3, 3, 3], 1),
    tensor('b1', [8], 2),
    tensor('gamma', [8], 3, 0.2, 1),
    tensor('beta', [8], 4),
    tensor('mean', [8], 5),
    tensor('var', [8], 6, 0.1, 0.5),
    tensor('w2', [12, 8, 3, 3], 7),
    tensor('b2', [12], 8),
  ];
  const node = [
    {
      opType: 'Conv',
      input: ['image', 'w1', 'b1'],
      output: ['c1'],
      attribute: [
        { name: 'strides', type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 2] },
        { name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] },
      ],
    },
    { opType: 'BatchNormalization', input: ['c1', 'gamma', 'beta', 'mean', 'var'], output: ['bn1'] },
    { opType: 'Sigmoid', input: ['bn1'], output: ['sig1'] },
    { opType: 'Mul', input: ['bn1', 'sig1'], output: ['tap_0'] },
    {
      opType: 'Conv',
      input: ['tap_0', 'w2', 'b2'],
      output: ['c2'],
      attribute: [
        { name: 'strides', type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 2] },
        { name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] },
      ],
    },
    { opType: 'Relu', input: ['c2'], output: ['adtr.feature_mean'] },
    { opType: 'GlobalAveragePool', input: ['adtr.feature_mean'], output: ['pooled'] },
  ];
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'handwritten',
    opsetImport: [{ domain: '', version: 15 }],
    graph: {
      name: 'foreign',
      node,
      initializer: inits,
      // Old-style: every initializer is also declared as an input.
      input: [info('image', ['batch', 3, S, S]), ...inits.map((t) => info(t.name!, t.dims as number[]))],
      output: [info('pooled', ['batch', 12, 1, 1])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'adtr-onnx-merge-'));
  writeFileSync(join(dir, 'net.onnx'), foreignModel());
  writeFileSync(
    join(dir, 'backbone.json'),
    JSON.stringify({
      id: 'foreign',
      onnx: 'net.onnx',
      inputName: 'image',
      inputSize: [S, S],
      normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 1 / 255, channelOrder: 'BGR' },
      features: [
        { output: 'tap_0', stride: 2, channels: 8 },
        { output: 'adtr.feature_mean', stride: 4 },
      ],
    }),
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a foreign backbone with colliding names merges into a graph equal to backbone-then-head', async (t) => {
  const bb = await openOnnxBackbone(dir);
  assert.deepEqual(
    bb.taps.map((x) => x.shape),
    [
      [8, 24, 24],
      [12, 12, 12],
    ],
  );
  const cfg = onnxModelConfig(bb, PRESETS.tiny.model);
  assert.deepEqual(cfg.grid, [6, 6]);
  const hg = buildHeadGraph(
    bb.taps.map((x) => x.shape),
    cfg,
    5,
  );
  const params = new Map<string, TensorData>();
  for (const [name, e] of hg.graph.params)
    params.set(name, name === 'adtr.feature_std' ? (e.init as Float32Array).map(() => 0.7) : e.init);
  const value = (name: string) => params.get(name)!;
  const merged = onnxInferenceModel(bb, cfg, value, 5);
  const headOnly = exportModel({
    graph: hg.graph,
    outputs: { [MAP_OUTPUT]: hg.map, [SCORE_OUTPUT]: hg.score },
    paramsAs: 'initializers',
    paramValue: value,
    keepInputs: hg.taps,
  }).bytes;

  const user = await InferenceSession.open(bb.tapBytes);
  const head = await InferenceSession.open(headOnly);
  const all = await InferenceSession.open(merged);
  try {
    assert.deepEqual(
      all.inputs.map((i) => [i.name, [...i.shape]]),
      [['image', [1, 3, S, S]]],
    );
    const img = seededImage(3 * S * S, 11);
    const taps = await user.run({ image: float32(img, [1, 3, S, S]) });
    const want = await head.run({
      [tapInputName(0)]: taps['tap_0']!,
      [tapInputName(1)]: taps['adtr.feature_mean']!,
    });
    const got = await all.run({ image: float32(img, [1, 3, S, S]) });
    const a = want[MAP_OUTPUT]!.data as Float32Array;
    const b = got[MAP_OUTPUT]!.data as Float32Array;
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
    t.diagnostic(`map max |Δ| ${d.toExponential(2)}`);
    assert.ok(d <= 1e-4, `map max |Δ| ${d}`);
    const sa = (want[SCORE_OUTPUT]!.data as Float32Array)[0] as number;
    const sb = (got[SCORE_OUTPUT]!.data as Float32Array)[0] as number;
    assert.ok(Math.abs(sa - sb) <= 1e-4 && sa > 0, `score ${sb} vs ${sa}`);
  } finally {
    await user.release();
    await head.release();
    await all.release();
  }
});
