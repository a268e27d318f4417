import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FEATURE_MEAN,
  fit,
  isAdtrError,
  isDecoderParam,
  KnnScorer,
  pxWeights,
  TokenMapPredictor,
  type ModelConfig,
  type Schedule,
  type TrainSample,
} from '../src/index.js';

const model: ModelConfig = {
  inputSize: [32, 32],
  taps: ['t'],
  grid: [4, 4],
  dim: 16,
  heads: 2,
  encoderLayers: 1,
  decoderLayers: 1,
  ffnMult: 2,
  scorePool: 1,
};
const C = 8;
const T = 16;
const loss = { alpha: 0.003, topK: 3 };

/** Normal features: a smooth per-channel pattern plus noise. Anomalies: a bump on a few tokens. */
function sample(seed: number, anomalousTokens: number[] = []): TrainSample {
  let s = seed >>> 0;
  const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5;
  const f = new Float32Array(C * T);
  for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) f[c * T + t] = Math.sin(c + t / 3) * 2 + c + rnd() * 0.2;
  const mask = new Float32Array(T);
  for (const t of anomalousTokens) {
    mask[t] = 1;
    for (let c = 0; c < C; c++) f[c * T + t] = (f[c * T + t] as number) + 3 * (c % 2 ? 1 : -1);
  }
  return anomalousTokens.length ? { features: f, tokenMask: mask, label: 1 } : { features: f, label: 0 };
}

const normals = Array.from({ length: 24 }, (_, i) => sample(i + 1));
const schedule: Schedule = { epochs: 6, decayEpoch: 4, decayFactor: 0.1, lr: 3e-3, weightDecay: 1e-4, batchSize: 4 };

test('normal-only training lowers L_norm, and a resumed run continues exactly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-fit-'));
  try {
    const full = await fit({ model, loss, schedule, kind: 'norm', channels: C, samples: normals, seed: 3 });
    const losses = full.history.map((h) => h.loss);
    assert.ok(losses.at(-1)! < losses[0]! * 0.7, `loss went ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
    assert.equal(full.history[4]!.lr, schedule.lr * 0.1, 'step decay applies at decayEpoch');
    const ckpt = join(dir, 'ckpt.bin');
    await fit({
      model,
      loss,
      schedule: { ...schedule, epochs: 3 },
      kind: 'norm',
      channels: C,
      samples: normals,
      seed: 3,
      checkpointPath: ckpt,
    });
    const resumed = await fit({
      model,
      loss,
      schedule,
      kind: 'norm',
      channels: C,
      samples: normals,
      seed: 3,
      checkpointPath: ckpt,
      resume: true,
    });
    assert.equal(resumed.resumedFromEpoch, 3);
    assert.deepEqual(
      resumed.history.map((h) => h.loss),
      losses.slice(3),
    );
    assert.deepEqual(resumed.params.get('adtr.output_proj.weight'), full.params.get('adtr.output_proj.weight'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('L_px fine-tuning from a parent separates anomalous tokens better than the parent', async () => {
  const parent = await fit({ model, loss, schedule, kind: 'norm', channels: C, samples: normals, seed: 5 });
  const anomalies = Array.from({ length: 8 }, (_, i) => sample(100 + i, [i % T, (i * 5 + 3) % T]));
  const tuned = await fit({
    model,
    loss,
    schedule: { ...schedule, epochs: 8 },
    kind: 'px',
    channels: C,
    samples: [...normals, ...anomalies],
    init: parent.params,
    seed: 5,
  });
  assert.deepEqual(tuned.stats.mean, parent.stats.mean, 'feature statistics come from the parent');
  const held = Array.from({ length: 6 }, (_, i) => sample(200 + i, [(i * 7 + 1) % T]));
  const gap = async (params: ReadonlyMap<string, Float32Array>) => {
    const p = await TokenMapPredictor.create({ model, channels: C, params, batchSize: 4 });
    const maps = await p.predict(held.map((h) => h.features));
    await p.release();
    let inside = 0;
    let outside = 0;
    maps.forEach((m, i) => m.forEach((v, t) => (held[i]!.tokenMask![t] ? (inside += v) : (outside += v / (T - 1)))));
    return inside / outside;
  };
  const before = await gap(parent.params);
  const after = await gap(tuned.params);
  assert.ok(after > before, `anomalous/normal token score ratio ${before.toFixed(2)} → ${after.toFixed(2)}`);
  assert.ok(tuned.history.every((h) => Number.isFinite(h.loss)));
});

test('mixed labels: per-sample L_px weights; all masked equals L_px, mixed fine-tunes separate anomalies', async () => {
  const masked = Array.from({ length: 8 }, (_, i) => sample(300 + i, [i % T, (i * 5 + 3) % T]));
  const imageOnly = masked.slice(4).map((s): TrainSample => ({ features: s.features, label: 1 }));
  const mixedSet = [...normals, ...masked.slice(0, 4), ...imageOnly];
  const w = pxWeights(mixedSet);
  assert.deepEqual([w[0], w[normals.length], w[normals.length + 4]], [0.5, 1, 0], 'normal ½, masked 1, image-only 0');
  const emptyMask = { features: masked[0]!.features, tokenMask: new Float32Array(T), label: 1 as const };
  assert.equal(pxWeights([emptyMask, normals[0]!])[0], 0, 'an anomaly whose mask marks no token is image-labelled');
  const parent = await fit({ model, loss, schedule, kind: 'norm', channels: C, samples: normals, seed: 11 });
  const tune = (kind: 'px' | 'mixed', samples: readonly TrainSample[]) =>
    fit({
      model,
      loss,
      schedule: { ...schedule, epochs: 4 },
      kind,
      channels: C,
      samples,
      init: parent.params,
      seed: 11,
    });
  const [px, allMasked] = [await tune('px', [...normals, ...masked]), await tune('mixed', [...normals, ...masked])];
  px.history.forEach((h, i) => assert.ok(Math.abs(h.loss - allMasked.history[i]!.loss) < 1e-5 * Math.abs(h.loss)));
  const mixed = await tune('mixed', mixedSet);
  assert.ok(mixed.history.every((h) => Number.isFinite(h.loss)));
  const held = Array.from({ length: 6 }, (_, i) => sample(400 + i, [(i * 7 + 1) % T]));
  const maxRatio = async (params: ReadonlyMap<string, Float32Array>) => {
    const p = await TokenMapPredictor.create({ model, channels: C, params, batchSize: 4 });
    const [a, n] = [await p.predict(held.map((h) => h.features)), await p.predict(normals.map((h) => h.features))];
    await p.release();
    const top = (maps: Float32Array[]) => maps.reduce((sum, m) => sum + Math.max(...m), 0) / maps.length;
    return top(a) / top(n);
  };
  const [before, after] = [await maxRatio(parent.params), await maxRatio(mixed.params)];
  assert.ok(after > before, `anomalous/normal image score ratio ${before.toFixed(2)} → ${after.toFixed(2)}`);
});

test('freezeDecoder fine-tunes the encoder side only, and a resume must keep the setting', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-fit-freeze-'));
  try {
    const parent = await fit({ model, loss, schedule, kind: 'norm', channels: C, samples: normals, seed: 7 });
    const anomalies = Array.from({ length: 8 }, (_, i) => sample(300 + i, [i % T]));
    const ckpt = join(dir, 'ckpt.bin');
    const frozen = { ...schedule, epochs: 3, freezeDecoder: true };
    const tuned = await fit({
      model,
      loss,
      schedule: frozen,
      kind: 'px',
      channels: C,
      samples: [...normals, ...anomalies],
      init: parent.params,
      seed: 7,
      checkpointPath: ckpt,
    });
    const decoder = [...parent.params.keys()].filter((n) => isDecoderParam(n));
    assert.ok(
      decoder.includes('adtr.aux_query') &&
        decoder.includes('adtr.output_proj.weight') &&
        decoder.some((n) => n.startsWith('adtr.dec0.cross.')),
      decoder.join(' '),
    );
    assert.ok(!decoder.includes('adtr.pos_embed') && !decoder.some((n) => n.startsWith('adtr.enc')));
    for (const name of decoder)
      assert.deepEqual(tuned.params.get(name), parent.params.get(name), `${name} stayed as the parent left it`);
    for (const name of ['adtr.input_proj.weight', 'adtr.enc0.attn.q.weight', 'adtr.pos_embed']) {
      assert.notDeepEqual(tuned.params.get(name), parent.params.get(name), `${name} trained`);
    }
    // The checkpoint's optimizer state covers the encoder side only: resuming with the decoder trained is refused.
    await assert.rejects(
      fit({
        model,
        loss,
        schedule: { ...frozen, epochs: 4, freezeDecoder: false },
        kind: 'px',
        channels: C,
        samples: [...normals, ...anomalies],
        init: parent.params,
        seed: 7,
        checkpointPath: ckpt,
        resume: true,
      }),
      (e) => isAdtrError(e, 'LW_ADTR_CONFIG') && /decoder frozen/.test((e as Error).message),
    );
    const resumed = await fit({
      model,
      loss,
      schedule: { ...frozen, epochs: 4 },
      kind: 'px',
      channels: C,
      samples: [...normals, ...anomalies],
      init: parent.params,
      seed: 7,
      checkpointPath: ckpt,
      resume: true,
    });
    assert.equal(resumed.resumedFromEpoch, 3);
    assert.deepEqual(resumed.params.get('adtr.aux_query'), parent.params.get('adtr.aux_query'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ownTokenMask changes the reconstruction and trains; decoder-frozen fine-tunes run on it', async () => {
  const masked: ModelConfig = { ...model, ownTokenMask: true };
  const parent = await fit({ model: masked, loss, schedule, kind: 'norm', channels: C, samples: normals, seed: 9 });
  const losses = parent.history.map((h) => h.loss);
  assert.ok(losses.at(-1)! < losses[0]!, `loss went ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
  const maps = async (cfg: ModelConfig, params: ReadonlyMap<string, Float32Array>) => {
    const p = await TokenMapPredictor.create({ model: cfg, channels: C, params, batchSize: 4 });
    const out = await p.predict(normals.slice(0, 4).map((n) => n.features));
    await p.release();
    return out;
  };
  // Same parameters, with and without the mask: the decoder sees different memory, so the maps differ.
  assert.notDeepEqual(await maps(masked, parent.params), await maps(model, parent.params));
  const anomalies = Array.from({ length: 8 }, (_, i) => sample(400 + i, [i % T]));
  const tuned = await fit({
    model: masked,
    loss,
    schedule: { ...schedule, epochs: 2, freezeDecoder: true },
    kind: 'px',
    channels: C,
    samples: [...normals, ...anomalies],
    init: parent.params,
    seed: 9,
  });
  assert.deepEqual(tuned.params.get('adtr.dec0.cross.q.weight'), parent.params.get('adtr.dec0.cross.q.weight'));
  assert.ok(tuned.history.every((h) => Number.isFinite(h.loss)));
});

test('fit refuses bad inputs with coded errors', async () => {
  await assert.rejects(fit({ model, loss, schedule, kind: 'norm', channels: C, samples: [] }), (e) =>
    isAdtrError(e, 'LW_ADTR_CONFIG'),
  );
  await assert.rejects(fit({ model, loss, schedule, kind: 'px', channels: C, samples: normals }), (e) =>
    isAdtrError(e, 'LW_ADTR_CONFIG'),
  );
  await assert.rejects(
    fit({ model, loss, schedule, kind: 'norm', channels: C, samples: [{ features: new Float32Array(3) }] }),
    (e) => isAdtrError(e, 'LW_ADTR_CONFIG'),
  );
  const noStats = new Map([['adtr.input_proj.weight', new Float32Array(C * 16)]]);
  await assert.rejects(
    fit({ model, loss, schedule, kind: 'norm', channels: C, samples: normals, init: noStats }),
    (e) => isAdtrError(e, 'LW_ADTR_CONFIG'),
  );
  void FEATURE_MEAN;
});

test('kNN baseline: distance to the nearest normal token', async () => {
  const knn = await KnnScorer.create(
    normals.slice(0, 4).map((s) => s.features),
    C,
    { chunk: 8 },
  );
  const [same, odd] = await knn.score([normals[0]!.features, sample(999, [5]).features]);
  await knn.release();
  // float32 ‖q‖² + ‖b‖² − 2q·b cancels to ~1e-5 of ‖q‖², so "zero" is a few thousandths after the sqrt.
  assert.ok(
    same!.every((v) => Math.abs(v) < 0.05),
    `a bank image scores ~0 against itself: ${Math.max(...same!)}`,
  );
  assert.ok(odd![5]! > 3 * Math.max(...Array.from(odd!).filter((_, t) => t !== 5)), 'the bumped token stands out');
});
