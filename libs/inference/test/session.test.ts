import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InferenceSession,
  float32,
  isInferenceError,
  ortBackends,
  parseProviders,
  providerConfig,
  type TensorData,
} from '../src/index.js';
import { reluPlusOneModel } from './tiny-model.js';

test('runs a model on the CPU provider and returns plain tensors', async () => {
  const s = await InferenceSession.open(reluPlusOneModel());
  assert.equal(s.provider, 'cpu');
  assert.deepEqual(s.inputNames, ['x']);
  assert.deepEqual(s.outputNames, ['y']);
  const out = await s.run({ x: float32(new Float32Array([-2, 0, 3, 1, -1, 0.5]), [2, 3]) });
  assert.deepEqual(Array.from(out['y']!.data as Float32Array), [1, 1, 4, 2, 1, 1.5]);
  assert.deepEqual(out['y']!.dims, [2, 3]);
  await s.release();
});

test('opens a model from a file path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-infer-'));
  try {
    const file = join(dir, 'model.onnx');
    writeFileSync(file, reluPlusOneModel());
    const s = await InferenceSession.open(file);
    assert.equal(s.inputs[0]?.shape.length, 2);
    await s.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('falls back along the configured provider list and reports why', async () => {
  const cudaBundled = ortBackends().some((b) => b.name === 'cuda' && b.bundled);
  const s = await InferenceSession.open(reluPlusOneModel(), { executionProviders: ['cuda', 'cpu'] });
  if (s.provider === 'cuda') {
    assert.ok(s.attempts[0]?.ok);
  } else {
    assert.equal(s.provider, 'cpu');
    assert.equal(s.attempts.length, 2);
    assert.equal(s.attempts[0]?.provider, 'cuda');
    assert.equal(s.attempts[0]?.ok, false);
    assert.ok((s.attempts[0]?.reason ?? '').length > 0, 'a reason is recorded for the failed provider');
    assert.equal(cudaBundled, false);
  }
  await s.release();
});

test('CUDA alone, where it cannot load, is a coded error', async (t) => {
  let opened: InferenceSession | undefined;
  try {
    opened = await InferenceSession.open(reluPlusOneModel(), { executionProviders: ['cuda'] });
  } catch (err) {
    assert.ok(isInferenceError(err, 'LW_INFER_PROVIDER_UNAVAILABLE'), String(err));
    assert.equal((err.details['attempts'] as unknown[]).length, 1);
    return;
  }
  t.diagnostic('CUDA is present on this machine; provider-unavailable path not exercised');
  assert.equal(opened.provider, 'cuda');
  await opened.release();
});

test('unknown provider names and broken models are coded errors', async () => {
  assert.throws(
    () => parseProviders(['tpu']),
    (e) => isInferenceError(e, 'LW_INFER_PROVIDER_UNKNOWN'),
  );
  await assert.rejects(InferenceSession.open(new Uint8Array([1, 2, 3, 4])), (e) =>
    isInferenceError(e, 'LW_INFER_MODEL_INVALID'),
  );
  await assert.rejects(InferenceSession.open('/nonexistent/model.onnx'), (e) =>
    isInferenceError(e, 'LW_INFER_MODEL_INVALID'),
  );
});

test('bad feeds are rejected before onnxruntime sees them', async () => {
  const s = await InferenceSession.open(reluPlusOneModel());
  const bad: Record<string, TensorData>[] = [
    {},
    { x: float32(new Float32Array(3), [3]) },
    { x: float32(new Float32Array(4), [1, 4]) },
    { x: float32(new Float32Array(2), [1, 3]) },
    { x: { type: 'float64' as const, data: new Float64Array(3), dims: [1, 3] } },
    { x: float32(new Float32Array(3), [1, 3]), extra: float32(new Float32Array(1), [1]) },
  ];
  for (const feeds of bad) {
    await assert.rejects(
      s.run(feeds),
      (e) => isInferenceError(e, 'LW_INFER_BAD_INPUT'),
      JSON.stringify(Object.keys(feeds)),
    );
  }
  await s.release();
  await assert.rejects(s.run({ x: float32(new Float32Array(3), [1, 3]) }), (e) =>
    isInferenceError(e, 'LW_INFER_SESSION_CLOSED'),
  );
});

test('warm-up runs the model with zeros and reports timings', async () => {
  const s = await InferenceSession.open(reluPlusOneModel());
  const times = await s.warmUp(3, 4);
  assert.equal(times.length, 3);
  assert.ok(times.every((ms) => ms >= 0 && Number.isFinite(ms)));
  await s.release();
});

test('provider settings reach onnxruntime as provider options: device id for CUDA, engine cache and FP16 for TensorRT', () => {
  assert.equal(providerConfig('cpu', { deviceId: 1, tensorrt: { fp16: true } }), 'cpu');
  assert.equal(providerConfig('cuda'), 'cuda');
  assert.deepEqual(providerConfig('cuda', { deviceId: 1 }), { name: 'cuda', deviceId: 1 });
  assert.equal(providerConfig('tensorrt'), 'tensorrt');
  assert.deepEqual(
    providerConfig('tensorrt', { deviceId: 0, tensorrt: { engineCacheDir: '/var/cache/trt', fp16: true } }),
    {
      name: 'tensorrt',
      deviceId: 0,
      trt_fp16_enable: '1',
      trt_engine_cache_enable: '1',
      trt_engine_cache_path: '/var/cache/trt',
    },
  );
  assert.deepEqual(providerConfig('tensorrt', { tensorrt: { fp16: false } }), {
    name: 'tensorrt',
    trt_fp16_enable: '0',
  });
});

test('a CPU session opens with GPU provider settings present (they concern other providers only)', async () => {
  const s = await InferenceSession.open(reluPlusOneModel(), {
    executionProviders: ['cuda', 'cpu'],
    deviceId: 0,
    tensorrt: { fp16: true, engineCacheDir: tmpdir() },
  });
  assert.ok(s.provider === 'cpu' || s.provider === 'cuda');
  await s.release();
});
