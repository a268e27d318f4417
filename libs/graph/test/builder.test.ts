import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { Graph } from '../src/builder.js';
import { grad } from '../src/autodiff/grad.js';
import { isGraphError, type GraphErrorCode } from '../src/errors.js';
import { init } from '../src/init.js';
import * as o from '../src/ops/index.js';
import { exportModel } from '../src/onnx/serialize.js';
import { createSession, ortTensor } from '../src/runtime/ort.js';
import { buildTransformer } from './models.js';

const code = (c: GraphErrorCode) => (e: unknown) => isGraphError(e, c);

test('shape inference rejects mismatches at build time with coded errors', () => {
  const g = new Graph();
  const a = g.input('a', [2, 3]);
  const b = g.input('b', [4]);
  assert.throws(() => o.add(a, b), code('LW_GRAPH_SHAPE_MISMATCH'));
  assert.throws(
    () => o.matmul(a, g.input('c', [4, 5])),
    (e) => isGraphError(e, 'LW_GRAPH_SHAPE_MISMATCH') && e.details['op'] === 'MatMul',
  );
  assert.throws(() => o.reshape(a, [4, 2]), code('LW_GRAPH_SHAPE_MISMATCH'));
  assert.throws(() => o.concat([a, g.input('d', [3, 3])], 1), code('LW_GRAPH_SHAPE_MISMATCH'));
  assert.throws(() => o.layerNorm(a, g.param('gm', [2], init.ones())), code('LW_GRAPH_SHAPE_MISMATCH'));
  assert.throws(() => o.add(a, g.input('e', [2, 3], 'float64')), code('LW_GRAPH_DTYPE_MISMATCH'));
  assert.throws(() => o.softmax(a, 2), code('LW_GRAPH_BAD_ARGUMENT'));
  assert.throws(() => g.input('a', [1]), code('LW_GRAPH_DUPLICATE_NAME'));
  assert.throws(() => o.add(a, new Graph().input('a', [2, 3])), code('LW_GRAPH_FOREIGN_TENSOR'));
  assert.deepEqual(o.matmul(g.input('q', [5, 2, 3]), g.input('k', [3, 7])).shape, [5, 2, 7]);
  assert.deepEqual(o.reduceSum(g.input('r', [2, 3, 4]), [0, -1], { keepDims: true }).shape, [1, 3, 1]);
});

test('grad refuses ops without a rule, naming the op; frozen paths through them are fine', () => {
  const g = new Graph();
  const x = g.input('x', [1, 2, 5, 5]);
  const w = g.param('w', [2, 1, 3, 3], init.normal());
  const y = o.conv(x, w, null, { group: 2, pads: [1, 1, 1, 1] });
  assert.throws(
    () => grad(o.reduceSum(y), [w]),
    (e) => isGraphError(e, 'LW_GRAPH_NO_GRADIENT') && e.details['op'] === 'Conv',
  );
  const r = o.resize(x, [7, 7]);
  const s = g.param('s', [1], init.ones());
  assert.throws(
    () => grad(o.reduceSum(o.resize(o.mul(x, s), [7, 7])), [s]),
    (e) => isGraphError(e, 'LW_GRAPH_NO_GRADIENT') && e.details['op'] === 'Resize',
  );
  // Backbone-style: frozen conv/resize on the input, trainable scale after them.
  const [gs] = grad(o.reduceSum(o.mul(r, s)), [s]);
  assert.deepEqual(gs!.shape, [1]);
  assert.throws(() => grad(r, [s]), code('LW_GRAPH_LOSS_NOT_SCALAR'));
});

test('stopGradient cuts the path; serialised as a standard Identity', async () => {
  const g = new Graph({ dtype: 'float64' });
  const w = g.param('w', [3], init.values([1, 2, 3]));
  const loss = o.reduceSum(o.mul(o.stopGradient(w), w)); // d/dw = w (not 2w)
  const [gw] = grad(loss, [w]);
  const m = exportModel({ graph: g, outputs: { gw: gw! }, paramsAs: 'inputs' });
  const s = await createSession(m.bytes, { threads: 1 });
  const res = await s.run({ w: ortTensor('float64', Float64Array.of(1, 2, 3), [3]) });
  assert.deepEqual(Array.from(res['gw']!.data as Float64Array), [1, 2, 3]);
  await s.release();
});

test('exports standard ONNX: opset 17, default domain only, named outputs, no builder-only ops', () => {
  const { graph, pred, loss } = buildTransformer(3);
  const params = graph.paramTensors();
  grad(loss, params);
  const bytes = exportModel({
    graph,
    outputs: { score: pred },
    paramsAs: 'initializers',
    paramValue: (n) => graph.params.get(n)!.init,
  }).bytes;
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const mg = model.graph as InstanceType<typeof onnxProto.onnx.GraphProto>;
  assert.equal(Number(model.irVersion), 8);
  assert.deepEqual(
    model.opsetImport.map((x) => [x.domain ?? '', Number(x.version)]),
    [['', 17]],
  );
  const ops = new Set(mg.node.map((n) => n.opType));
  assert.ok(
    !ops.has('StopGradient') && !ops.has('Gemm') && !ops.has('ScatterElements'),
    `backward ops leaked: ${[...ops].join(',')}`,
  );
  assert.ok(mg.node.every((n) => !n.domain));
  assert.deepEqual(
    mg.output.map((v) => v.name),
    ['score'],
  );
  assert.deepEqual(
    mg.input.map((v) => v.name),
    ['x'],
  );
  assert.equal(mg.initializer.filter((t) => graph.params.has(t.name!)).length, params.length);
});

test('CUDA requested where unavailable is a coded error (CPU-only machine)', async (t) => {
  const g = new Graph();
  const x = g.input('x', [2]);
  const bytes = exportModel({ graph: g, outputs: { y: o.mul(x, 2) }, paramsAs: 'inputs' }).bytes;
  if (existsSync('/dev/nvidia0')) {
    t.diagnostic('GPU present: CUDA session should open');
    await (await createSession(bytes, { executionProviders: ['cuda', 'cpu'] })).release();
    return;
  }
  await assert.rejects(createSession(bytes, { executionProviders: ['cuda', 'cpu'] }), code('LW_GRAPH_EP_UNAVAILABLE'));
  await (await createSession(bytes, { executionProviders: ['cpu'], spinning: true, threads: 1 })).release();
});
