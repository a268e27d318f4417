import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adamw } from '../src/optim/adamw.js';
import { sgd } from '../src/optim/sgd.js';
import { Trainer } from '../src/runtime/trainer.js';
import { createSession, ortTensor } from '../src/runtime/ort.js';
import { isGraphError } from '../src/errors.js';
import { Graph } from '../src/builder.js';
import { init, Rng } from '../src/init.js';
import { decoderBlock } from '../src/layers/transformer.js';
import { expand, mul, reduceMean, sub } from '../src/ops/index.js';
import { buildMlp, buildTransformer, mlpData, tfData, type Built } from './models.js';

async function train(
  build: () => Built,
  data: { x: Float32Array; y: Float32Array },
  steps: number,
  lr: number,
): Promise<number[]> {
  const m = build();
  const trainer = await Trainer.create({
    graph: m.graph,
    loss: m.loss,
    optimizer: adamw({ weightDecay: 0.01 }),
    threads: 1,
  });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await trainer.step(data, lr)).loss);
  await trainer.release();
  return losses;
}

test('2-layer MLP regression trains to ≤ 10% of the initial loss, deterministically', async () => {
  const data = mlpData();
  const a = await train(() => buildMlp(1), data, 300, 0.02);
  const b = await train(() => buildMlp(1), data, 300, 0.02);
  assert.ok(a.at(-1)! <= 0.1 * a[0]!, `loss ${a[0]} → ${a.at(-1)}`);
  assert.deepEqual(a, b);
});

test('1-layer transformer block (MHA + FFN + post-norm) trains to ≤ 10% of the initial loss, deterministically', async () => {
  const data = tfData();
  const a = await train(() => buildTransformer(1), data, 150, 0.01);
  const b = await train(() => buildTransformer(1), data, 150, 0.01);
  assert.ok(a.at(-1)! <= 0.1 * a[0]!, `loss ${a[0]} → ${a.at(-1)}`);
  assert.deepEqual(a, b);
});

test('exported inference graph matches the training graph forward (1e-6)', async () => {
  const m = buildTransformer(2);
  const data = tfData(9);
  const trainer = await Trainer.create({
    graph: m.graph,
    loss: m.loss,
    optimizer: adamw(),
    outputs: { pred: m.pred },
    threads: 1,
  });
  for (let i = 0; i < 5; i++) await trainer.step(data, 0.01);
  // lr = 0 leaves AdamW's params untouched, so this step's `pred` is the training graph's forward at current weights.
  const fromTrain = (await trainer.step(data, 0)).outputs['pred'] as Float32Array;
  const fromEval = (await trainer.evaluate({ x: data.x }, ['pred']))['pred'] as Float32Array;
  const bytes = trainer.exportInference(['pred']);
  const session = await createSession(bytes, { threads: 1 });
  assert.deepEqual(session.inputNames, ['x']);
  const res = await session.run({ x: ortTensor('float32', data.x, [4, 8, 16]) });
  const fromExport = res['pred']!.data as Float32Array;
  for (let i = 0; i < fromTrain.length; i++) {
    assert.ok(Math.abs(fromExport[i]! - fromTrain[i]!) <= 1e-6, `export vs train at ${i}`);
    assert.ok(Math.abs(fromEval[i]! - fromTrain[i]!) <= 1e-6, `eval vs train at ${i}`);
  }
  await session.release();
  await trainer.release();
});

test('checkpoint → resume reproduces the next losses bit-exactly', async () => {
  const data = mlpData(11);
  const mk = async (): Promise<Trainer> => {
    const m = buildMlp(4);
    return Trainer.create({ graph: m.graph, loss: m.loss, optimizer: adamw({ weightDecay: 0.05 }), threads: 1 });
  };
  const a = await mk();
  for (let i = 0; i < 10; i++) await a.step(data, 0.01);
  const ckpt = a.saveCheckpoint({ note: 'test' });
  const next: number[] = [];
  for (let i = 0; i < 8; i++) next.push((await a.step(data, i < 4 ? 0.01 : 0.001)).loss);

  const b = await mk();
  b.loadCheckpoint(ckpt);
  assert.equal(b.steps, 10);
  const resumed: number[] = [];
  for (let i = 0; i < 8; i++) resumed.push((await b.step(data, i < 4 ? 0.01 : 0.001)).loss);
  assert.deepEqual(resumed, next);

  const bad = ckpt.slice();
  bad[bad.length - 10] = bad[bad.length - 10]! ^ 0xff;
  assert.throws(
    () => b.loadCheckpoint(bad),
    (e) => isGraphError(e, 'LW_GRAPH_CHECKPOINT_CORRUPT'),
  );
  const m = buildMlp(4);
  const other = await Trainer.create({ graph: m.graph, loss: m.loss, optimizer: sgd({ momentum: 0.9 }), threads: 1 });
  assert.throws(
    () => other.loadCheckpoint(ckpt),
    (e) => isGraphError(e, 'LW_GRAPH_CHECKPOINT_MISMATCH'),
  );
  await Promise.all([a.release(), b.release(), other.release()]);
});

test('step rejects malformed batches with coded errors', async () => {
  const m = buildMlp(1);
  const trainer = await Trainer.create({ graph: m.graph, loss: m.loss, optimizer: adamw(), threads: 1 });
  const { x, y } = mlpData();
  await assert.rejects(trainer.step({ x }, 0.1), (e) => isGraphError(e, 'LW_GRAPH_FEED_MISMATCH'));
  await assert.rejects(trainer.step({ x, y: y.subarray(1) }, 0.1), (e) => isGraphError(e, 'LW_GRAPH_FEED_MISMATCH'));
  await assert.rejects(trainer.step({ x, y, z: y }, 0.1), (e) => isGraphError(e, 'LW_GRAPH_FEED_MISMATCH'));
  await trainer.release();
});

test('decoder block with learned queries trains; frozen params stay put; setParam/param round-trip', async () => {
  const g = new Graph({ seed: 3 });
  const mem = g.input('mem', [2, 6, 8]);
  const target = g.input('target', [2, 4, 8]);
  const queries = g.param('queries', [4, 8], init.normal(0.5));
  const frozen = g.param('frozen', [8], init.ones());
  const out = decoderBlock(g, 'dec', expand(queries, [2, 4, 8]), mul(mem, frozen), {
    heads: 2,
    ffn: 16,
    activation: 'relu',
  });
  const d = sub(out, target);
  const loss = reduceMean(mul(d, d));
  const trainable = g.paramTensors().filter((t) => t !== frozen);
  const trainer = await Trainer.create({ graph: g, loss, optimizer: adamw(), trainable, threads: 1 });
  const r = new Rng(1);
  const batch = {
    mem: Float32Array.from({ length: 96 }, () => r.normal()),
    target: Float32Array.from({ length: 64 }, () => r.normal()),
  };
  const first = (await trainer.step(batch, 0.01)).loss;
  let last = first;
  for (let i = 0; i < 40; i++) last = (await trainer.step(batch, 0.01)).loss;
  assert.ok(last < 0.8 * first, `${first} → ${last}`);
  assert.deepEqual(Array.from(trainer.param('frozen')), new Array(8).fill(1));
  trainer.setParam('frozen', new Array(8).fill(2));
  assert.deepEqual(Array.from(trainer.param('frozen')), new Array(8).fill(2));
  assert.throws(
    () => trainer.param('nope'),
    (e) => isGraphError(e, 'LW_GRAPH_UNKNOWN_NAME'),
  );
  await trainer.release();
});
