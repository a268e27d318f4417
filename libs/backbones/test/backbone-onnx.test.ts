import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedData } from '@linewatch/testing';
import { exportModel, Graph } from '@linewatch/graph';
import { float32, InferenceSession } from '@linewatch/inference';
import {
  applyBackbone,
  buildBackbonePlan,
  decodeWeights,
  loadNsfwjsModel,
  loadTfjsDirectory,
  parseKerasTopology,
  type KerasGraph,
  type LayersModelFiles,
} from '../src/index.js';
import { nhwcToChw, seededImage } from './helpers.js';
import { tfjsTaps } from './tfjs-reference.js';

/** ImageNet MobileNetV2-0.35 from ../shared: a user's clone skips naming the folder; CI (LW_REQUIRE_SHARED_DATA=1) fails. */
const shared035 = sharedData('backbones/mobilenetv2-035-imagenet-tfjs');
const TAPS = ['block_5_add', 'block_12_add'];

/**
 * The Keras graph cut after the taps (a head's Flatten/Dense fixes the input size) and declared for another input size
 * (TF.js builds the model at the declared size).
 */
function bodyAtInputSize(graph: KerasGraph, tapNames: readonly string[], h: number, w: number): KerasGraph {
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const needed = new Set<string>();
  const visit = (name: string): void => {
    if (needed.has(name)) return;
    needed.add(name);
    byName.get(name)?.inbound.forEach(visit);
  };
  tapNames.forEach(visit);
  const c = graph.inputShape[2];
  const layers = graph.layers
    .filter((l) => needed.has(l.name))
    .map((l) =>
      l.className === 'InputLayer' ? { ...l, config: { ...l.config, batch_input_shape: [null, h, w, c] } } : l,
    );
  return { ...graph, inputShape: [h, w, c], layers };
}

async function maxErrorVsTfjs(files: LayersModelFiles, tapNames = TAPS, size?: number): Promise<number> {
  const parsed = parseKerasTopology(files.modelTopology);
  const graph = size ? bodyAtInputSize(parsed, tapNames, size, size) : parsed;
  const weights = decodeWeights(files.weightsManifest, files.shards);
  const plan = buildBackbonePlan(graph, weights, tapNames);
  const [h, w, c] = graph.inputShape;
  const g = new Graph();
  const image = g.input('image', [1, c, h, w]);
  const taps = applyBackbone(g, image, plan);
  const outputs: Record<string, (typeof taps)[number]> = {};
  taps.forEach((t, i) => (outputs[`tap${i}`] = t));
  const model = exportModel({ graph: g, outputs, paramsAs: 'initializers' });
  const session = await InferenceSession.open(model.bytes);
  const nhwc = seededImage(h * w * c, 11);
  const got = await session.run({ image: float32(nhwcToChw(nhwc, h, w, c), [1, c, h, w]) });
  await session.release();
  const ref = await tfjsTaps(graph, weights, nhwc, tapNames);
  let maxErr = 0;
  plan.taps.forEach((tap, i) => {
    const [tc, th, tw] = tap.shape;
    const expected = nhwcToChw(ref[i] as Float32Array, th, tw, tc);
    const actual = got[`tap${i}`]!.data as Float32Array;
    assert.equal(actual.length, expected.length);
    for (let k = 0; k < actual.length; k++)
      maxErr = Math.max(maxErr, Math.abs((actual[k] as number) - (expected[k] as number)));
  });
  return maxErr;
}

test('imported nsfwjs MobileNetV2 run by onnxruntime matches TF.js to ≤ 1e-4', async () => {
  const err = await maxErrorVsTfjs(loadNsfwjsModel('mobilenet_v2'));
  assert.ok(err <= 1e-4, `max abs error ${err}`);
});

// Inception's stem and branches bring MaxPool / AveragePool ('same' pads left out of the average) and Concatenate.
// Built at 107 px, not the declared 299, so TF.js's pure-JS backend takes seconds, not minutes; every stage keeps ≥ 5
// px, and the border windows of the 'same' 3×3 average pools are where counting the padding would differ.
test('imported nsfwjs InceptionV3 (pools, concats) run by onnxruntime matches TF.js to ≤ 1e-4', async () => {
  const err = await maxErrorVsTfjs(loadNsfwjsModel('inception_v3'), ['mixed2', 'mixed5', 'mixed7'], 107);
  assert.ok(err <= 1e-4, `max abs error ${err}`);
});

test(
  'imported shared MobileNetV2-0.35 run by onnxruntime matches TF.js to ≤ 1e-4',
  { skip: shared035.skip },
  async () => {
    const err = await maxErrorVsTfjs(loadTfjsDirectory(shared035.path()));
    assert.ok(err <= 1e-4, `max abs error ${err}`);
  },
);
