import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadImage, loadMask, loadMvtec, manifestFromSamples, writeManifest } from '@linewatch/datasets';
import { InferenceSession, float32 } from '@linewatch/inference';
import { aupro, auroc, f1Max, pixelAuroc } from '@linewatch/metrics';
import { decodeImage, preprocess, resizeMap, settingsFromManifest } from '@linewatch/vision';
import { runCli } from '../src/cli/run.js';
import { COMMANDS } from '../src/commands/index.js';
import { openModel, pixelsAtInput } from '../src/eval/model.js';
import { evaluate } from '../src/eval/evaluate.js';
import { loadEvalData } from '../src/eval/data.js';
import { loadPackage } from '../src/package-io.js';
import { silentProgress } from '../src/progress.js';
import { packPackage, writePackageDir } from '@linewatch/model-package';
import {
  Capture,
  DRAFT,
  makeFixture,
  packageEntries,
  perfectDataset,
  texturedDataset,
  tinyModel,
  type Fixture,
} from './fixtures.js';

let fx: Fixture;
before(async () => {
  fx = makeFixture();
  await perfectDataset(join(fx.dir, 'perfect'));
  await texturedDataset(join(fx.dir, 'textured'));
});
after(() => rmSync(fx.dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(COMMANDS, args, { stdout, stderr, progress: silentProgress, cwd: fx.dir });
  return { code, out: stdout.text, err: stderr.text };
}

type Json = Record<string, unknown> & { perDefect: Record<string, Record<string, number | null>> };
const readJson = (p: string): Json => JSON.parse(readFileSync(p, 'utf8')) as Json;

test('perfect separation gives AUROC 1, pixel AUROC 1, AUPRO 1 and F1 1, overall and per defect type', async () => {
  const r = await cli(['eval', '--model', 'pkg', '--data', 'perfect', '--json', 'perfect.json', '--key', fx.publicKey]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /signature by [0-9a-f]{16} and digests verified/);
  const j = readJson(join(fx.dir, 'perfect.json'));
  const near1 = (v: unknown, what: string) =>
    assert.ok(typeof v === 'number' && Math.abs(v - 1) < 1e-12, `${what} = ${String(v)}`);
  for (const k of ['imageAuroc', 'pixelAuroc', 'aupro', 'f1Max']) near1(j[k], k); // AUPRO integrates in floats: 1 ± ulp
  assert.deepEqual(Object.keys(j.perDefect), ['blob', 'scratch']);
  for (const [t, m] of Object.entries(j.perDefect)) {
    assert.equal(m['count'], 2);
    for (const k of ['imageAuroc', 'pixelAuroc', 'aupro']) near1(m[k], `${t}.${k}`);
  }
  assert.equal(j['images'], 7);
  assert.deepEqual(j['model'], { id: 'tiny-test', version: '1.0.0', build: 3 });
  assert.equal(typeof j['seconds'], 'number');
  assert.equal(typeof j['threshold'], 'number');
  assert.deepEqual(j['normalScoreQuantiles'], { p50: 0, p90: 0, p95: 0, p99: 0, max: 0 });
  assert.equal(j['verification'], 'signature');
});

/**
 * The metrics computed straight from onnxruntime + vision + metrics, without the CLI: pixel figures at the model's
 * input resolution (the 32×32 map as output, the mask sampled at the centres of its pixels) and, beside them, at each
 * image's own resolution (the map stretched over the image).
 */
async function direct(root: string) {
  const ds = await loadMvtec(root, { splits: ['test'] });
  const settings = settingsFromManifest(DRAFT);
  const s = await InferenceSession.open(fx.onnx);
  type Px = { map: Float32Array; mask: Uint8Array; w: number; h: number };
  const rows: { type: string; label: 0 | 1; score: number; input: Px; full: Px }[] = [];
  for (const sample of ds.samples) {
    const image = await loadImage(sample);
    const mask = await loadMask(sample, image);
    const out = await s.run({ image: float32(preprocess(image, settings), [1, 3, 32, 32]) });
    const map32 = Float32Array.from(out['anomaly_map']!.data as Float32Array);
    const mask32 = new Uint8Array(32 * 32);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        mask32[y * 32 + x] =
          mask.data[
            Math.floor(((y + 0.5) * image.height) / 32) * image.width + Math.floor(((x + 0.5) * image.width) / 32)
          ]!;
      }
    const full = resizeMap({ width: 32, height: 32, data: map32 }, image.width, image.height, { alignCorners: true });
    rows.push({
      type: sample.defectType,
      label: sample.label,
      score: Number(out['score']!.data[0]),
      input: { map: map32, mask: mask32, w: 32, h: 32 },
      full: { map: full.data, mask: mask.data, w: image.width, h: image.height },
    });
  }
  await s.release();
  const pixel = (px: Px[]) => ({
    pixelAuroc: pixelAuroc(
      px.map((r) => r.map),
      px.map((r) => r.mask),
    ),
    aupro: aupro(
      px.map((r) => ({ scores: r.map, mask: r.mask, width: r.w, height: r.h })),
      { maxFpr: 0.3 },
    ),
  });
  const metricsOf = (sub: typeof rows) => ({
    imageAuroc: auroc(
      sub.map((r) => r.score),
      sub.map((r) => r.label),
    ),
    ...pixel(sub.map((r) => r.input)),
  });
  return {
    rows,
    all: metricsOf(rows),
    imageResolution: pixel(rows.map((r) => r.full)),
    per: (t: string) => metricsOf(rows.filter((r) => r.label === 0 || r.type === t)),
  };
}

test('metrics on textured, resampled images match a direct computation (MVTec folder and JSONL manifest)', async () => {
  const root = join(fx.dir, 'textured');
  const expected = await direct(root);
  // The fixture must not be trivially separable, or this test could not tell the per-type subsets apart.
  assert.ok(expected.all.pixelAuroc < 1);
  const r = await cli(['eval', '--model', 'pkg', '--data', 'textured', '--json', 'textured.json']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /signature NOT verified/);
  const j = readJson(join(fx.dir, 'textured.json'));
  assert.equal(j['imageAuroc'], expected.all.imageAuroc);
  assert.equal(j['pixelAuroc'], expected.all.pixelAuroc);
  assert.equal(j['aupro'], expected.all.aupro);
  // The image-resolution figures are computed too, and they are not the input-resolution ones.
  assert.deepEqual(j['imageResolution'], expected.imageResolution);
  assert.notEqual(expected.imageResolution.pixelAuroc, expected.all.pixelAuroc);
  const f1 = f1Max(
    expected.rows.map((x) => x.score),
    expected.rows.map((x) => x.label),
  );
  assert.equal(j['f1Max'], f1.f1);
  assert.equal(j['threshold'], f1.threshold);
  for (const t of ['scratch', 'stain'])
    assert.deepEqual(j.perDefect[t], { ...expected.per(t), count: 3, pixelMetricsReason: null });
  assert.equal(j['pixelMetricsReason'], null);

  // The same images through a JSONL manifest give the same numbers.
  const ds = await loadMvtec(root, { splits: ['test'] });
  await writeManifest(join(root, 'manifest.jsonl'), manifestFromSamples(ds.samples, root));
  const m = await cli(['eval', '--model', 'pkg', '--data', 'textured/manifest.jsonl', '--json', 'manifest.json']);
  assert.equal(m.code, 0, m.err);
  const jm = readJson(join(fx.dir, 'manifest.json'));
  for (const k of ['imageAuroc', 'pixelAuroc', 'aupro', 'f1Max']) assert.equal(jm[k], j[k], k);
  assert.deepEqual(jm.perDefect, j.perDefect);
});

test('--report writes ROC plots, a heatmap grid and report.json that decode and agree with --json', async () => {
  const r = await cli(['eval', '--model', 'pkg', '--data', 'textured', '--json', 'r.json', '--report', 'report']);
  assert.equal(r.code, 0, r.err);
  for (const name of ['roc-image.png', 'roc-pixel.png', 'heatmaps.png']) {
    const img = await decodeImage(readFileSync(join(fx.dir, 'report', name)));
    assert.ok(img.width >= 200 && img.height >= 100, `${name} is ${img.width}×${img.height}`);
  }
  const roc = await decodeImage(readFileSync(join(fx.dir, 'report', 'roc-image.png')));
  assert.deepEqual([roc.width, roc.height], [640, 480]);
  const report = readJson(join(fx.dir, 'report', 'report.json'));
  const json = readJson(join(fx.dir, 'r.json'));
  assert.deepEqual(report, json);
});

test('bad data fails with coded errors that name the file (exit 3)', async () => {
  const bad = join(fx.dir, 'bad');
  await perfectDataset(bad, ['scratch']);
  writeFileSync(join(bad, 'test', 'scratch', '1.png'), Buffer.from('not a png at all'));
  const unreadable = await cli(['eval', '--model', 'pkg', '--data', 'bad', '--json', 'bad.json']);
  assert.equal(unreadable.code, 3);
  assert.match(unreadable.err, /^error LW_DATA_UNREADABLE_IMAGE: .*bad\/test\/scratch\/1\.png/m);

  const small = await decodeImage(readFileSync(join(bad, 'test', 'good', '0.png')));
  const { encodeMaskPng, resizeImage } = await import('@linewatch/vision');
  const tiny = resizeImage(small, 16, 16);
  writeFileSync(join(bad, 'test', 'scratch', '1.png'), readFileSync(join(bad, 'test', 'scratch', '0.png')));
  writeFileSync(
    join(bad, 'ground_truth', 'scratch', '1_mask.png'),
    await encodeMaskPng({ width: 16, height: 16, data: tiny.data.subarray(0, 256) }),
  );
  const mismatch = await cli(['eval', '--model', 'pkg', '--data', 'bad', '--json', 'bad.json']);
  assert.equal(mismatch.code, 3);
  assert.match(mismatch.err, /^error LW_DATA_MASK_SIZE_MISMATCH: mask .*1_mask\.png/m);

  rmSync(join(bad, 'test', 'good'), { recursive: true });
  const missing = await cli(['eval', '--model', 'pkg', '--data', 'bad', '--json', 'bad.json']);
  assert.equal(missing.code, 3);
  assert.match(missing.err, /^error LW_DATA_MISSING_FOLDER: .*bad\/test\/good/m);

  writeFileSync(join(fx.dir, 'unlabelled.jsonl'), '{"image":"perfect/test/good/0.png"}\n');
  const unlabelled = await cli(['eval', '--model', 'pkg', '--data', 'unlabelled.jsonl', '--json', 'bad.json']);
  assert.equal(unlabelled.code, 2);
  assert.match(unlabelled.err, /^error LW_TRAINER_DATA_UNLABELLED: .*unlabelled\.jsonl:1/m);
});

test('eval reads a tarball package, and refuses a model without anomaly_map (exit 2)', async () => {
  const entries = packageEntries([{ path: 'model.onnx', data: fx.onnx }], fx.privateKey);
  writeFileSync(join(fx.dir, 'pkg.tar.gz'), packPackage(entries));
  const r = await cli([
    'eval',
    '--model',
    'pkg.tar.gz',
    '--data',
    'perfect',
    '--json',
    'tar.json',
    '--key',
    fx.publicKey,
  ]);
  assert.equal(r.code, 0, r.err);
  assert.equal(readJson(join(fx.dir, 'tar.json'))['imageAuroc'], 1);

  writePackageDir(
    join(fx.dir, 'wrong'),
    packageEntries([{ path: 'model.onnx', data: tinyModel(32, 'heat') }], fx.privateKey),
  );
  const w = await cli(['eval', '--model', 'wrong', '--data', 'perfect', '--json', 'wrong.json']);
  assert.equal(w.code, 2);
  assert.match(w.err, /^error LW_TRAINER_MODEL_INCOMPATIBLE: .*missing anomaly_map/m);
});

test('pixels at input resolution: a letterboxed map is cropped to the frame, the mask resized to the crop', () => {
  const fit = { inputWidth: 8, inputHeight: 8, fit: 'letterbox' as const };
  const map = { width: 8, height: 8, data: Float32Array.from({ length: 64 }, (_, i) => i) };
  const mask = { width: 12, height: 6, data: Uint8Array.from({ length: 72 }, (_, i) => (i % 12 >= 9 ? 1 : 0)) };
  const p = pixelsAtInput(map, mask, fit);
  // A 12×6 frame fills an 8×4 band in the middle (rows 2–5) of the 8×8 input.
  assert.deepEqual([p.width, p.height], [8, 4]);
  assert.deepEqual(
    [...p.map],
    Array.from({ length: 32 }, (_, i) => 16 + i),
  );
  // Pixel centres x = 0.75 … 11.25 in the mask: columns 9 and 11 are anomalous, i.e. the last two of each row.
  assert.deepEqual(
    [...p.mask],
    Array.from({ length: 32 }, (_, i) => (i % 8 >= 6 ? 1 : 0)),
  );
  // Stretch: the mask follows the map's size, whatever the nominal input size.
  const s = pixelsAtInput({ width: 4, height: 4, data: new Float32Array(16) }, mask, { inputWidth: 8, inputHeight: 8 });
  assert.deepEqual([s.width, s.height, s.mask.length], [4, 4, 16]);
});

test('evaluate keeps original-resolution maps unless told not to (the held-out gate does not need them)', async () => {
  const data = await loadEvalData(join(fx.dir, 'textured'), 'test');
  const model = await openModel(loadPackage(join(fx.dir, 'pkg'), []).manifest, fx.onnx);
  try {
    const both = await evaluate(model, data.samples, silentProgress);
    const inputOnly = await evaluate(model, data.samples, silentProgress, { imageResolution: false });
    assert.ok(both.results.every((r) => r.pixels !== null && r.imagePixels !== null));
    assert.ok(inputOnly.results.every((r) => r.pixels !== null && r.imagePixels === null));
    assert.deepEqual(
      inputOnly.results.map((r) => r.pixels!.map),
      both.results.map((r) => r.pixels!.map),
    );
  } finally {
    await model.release();
  }
});
