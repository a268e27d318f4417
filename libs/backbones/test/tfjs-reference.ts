/**
 * Runs a Keras body in TF.js (pure JS CPU backend) and returns the requested layers' outputs, as the reference the
 * imported backbone is checked against. Weights are fed from our decoded map so both sides use identical numbers.
 */
import * as tf from '@tensorflow/tfjs';
import type { KerasGraph, NamedTensor } from '../src/index.js';

type Json = Record<string, unknown>;

function functionalConfig(graph: KerasGraph): Json {
  return {
    name: graph.name,
    layers: graph.layers.map((l) => ({
      class_name: l.className,
      name: l.name,
      config: l.config,
      inbound_nodes: l.inbound.length ? [l.inbound.map((n) => [n, 0, 0, {}])] : [],
    })),
    input_layers: [[graph.layers.find((l) => l.className === 'InputLayer')?.name, 0, 0]],
    output_layers: [[graph.layers.at(-1)?.name, 0, 0]],
  };
}

/** Returns NHWC Float32Arrays, one per tap, for a batch of one NHWC image. */
export async function tfjsTaps(
  graph: KerasGraph,
  weights: Map<string, NamedTensor>,
  imageNhwc: Float32Array,
  taps: string[],
): Promise<Float32Array[]> {
  await tf.setBackend('cpu');
  const used = new Set(graph.layers.map((l) => l.name));
  const specs: { name: string; shape: number[]; dtype: 'float32' }[] = [];
  const chunks: Float32Array[] = [];
  for (const [name, t] of weights) {
    if (!used.has(name.split('/')[0] ?? '')) continue;
    specs.push({ name, shape: [...t.shape], dtype: 'float32' });
    chunks.push(t.data);
  }
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const data = new Float32Array(total);
  let off = 0;
  for (const c of chunks) {
    data.set(c, off);
    off += c.length;
  }
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: {
        class_name: 'Model',
        config: functionalConfig(graph),
        keras_version: '2.2.4',
        backend: 'tensorflow',
      },
      weightSpecs: specs,
      weightData: data.buffer,
    }),
  );
  const sub = tf.model({
    inputs: model.inputs,
    outputs: taps.map((t) => model.getLayer(t).output as tf.SymbolicTensor),
  });
  const [h, w, c] = graph.inputShape;
  const input = tf.tensor4d(imageNhwc, [1, h, w, c]);
  const outs = sub.predict(input) as tf.Tensor | tf.Tensor[];
  const list = Array.isArray(outs) ? outs : [outs];
  const result = await Promise.all(list.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([input, ...list]);
  model.dispose();
  return result;
}
