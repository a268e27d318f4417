/**
 * eval on image-level labels: anomalous images without masks (some or all of them, MVTec folder or JSONL manifest).
 * Image metrics cover every image; pixel metrics cover the normals and the masked anomalies, or are null with a
 * reason when no anomaly has a mask — in report.json, report.md, roc-pixel.png and the console summary.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadMvtec, manifestFromSamples, writeManifest } from '@linewatch/datasets';
import { decodeImage, emptyMask } from '@linewatch/vision';
import { runCli } from '../src/cli/run.js';
import { COMMANDS } from '../src/commands/index.js';
import { silentProgress } from '../src/progress.js';
import { Capture, makeFixture, texturedDataset, writeMask, type Fixture } from './fixtures.js';

let fx: Fixture;
let full: Json;
before(async () => {
  fx = makeFixture();
  await texturedDataset(join(fx.dir, 'full')); // test/good ×4, test/scratch ×3, test/stain ×3, every anomaly masked
  const r = await cli(['eval', '--model', 'pkg', '--data', 'full', '--json', 'full.json']);
  assert.equal(r.code, 0, r.err);
  full = readJson('full.json');
  // The fixture must not be trivially separable, or the subset comparisons below could not tell sets apart.
  assert.ok(
    full.pixelAuroc !== null && full.pixelAuroc < 1 && full.perDefect['scratch']!.pixelAuroc !== full.pixelAuroc,
  );
});
after(() => rmSync(fx.dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(COMMANDS, args, { stdout, stderr, progress: silentProgress, cwd: fx.dir });
  return { code, out: stdout.text, err: stderr.text };
}

type Metrics = Record<string, unknown> & { pixelAuroc: number | null; aupro: number | null };
type Json = Metrics & {
  pixelMetricsReason: string | null;
  imageResolution: { pixelAuroc: number | null; aupro: number | null };
  counts: Record<string, number>;
  perDefect: Record<string, Metrics & { pixelMetricsReason: string | null; count: number }>;
};
const readJson = (p: string): Json => JSON.parse(readFileSync(join(fx.dir, p), 'utf8')) as Json;

/** A copy of the full dataset without the masks of the given defect types. */
function withoutMasks(name: string, types: readonly string[]): string {
  cpSync(join(fx.dir, 'full'), join(fx.dir, name), { recursive: true });
  for (const t of types) rmSync(join(fx.dir, name, 'ground_truth', t), { recursive: true });
  return name;
}

test('no masks at all: image metrics as with masks, pixel metrics null with the reason (JSON, Markdown, PNG)', async () => {
  const data = withoutMasks('none', ['scratch', 'stain']);
  const r = await cli(['eval', '--model', 'pkg', '--data', data, '--json', 'none.json', '--report', 'none-report']);
  assert.equal(r.code, 0, r.err);
  const j = readJson('none.json');
  for (const k of ['imageAuroc', 'f1Max', 'threshold', 'normalScoreQuantiles']) assert.deepEqual(j[k], full[k], k);
  assert.deepEqual(
    [j.pixelAuroc, j.aupro, j.imageResolution.pixelAuroc, j.imageResolution.aupro],
    [null, null, null, null],
  );
  assert.equal(j.pixelMetricsReason, 'no masks: none of the 6 anomalous images has one');
  assert.deepEqual(j.counts, { normal: 4, anomalous: 6, pixelLabelled: 4, anomalousWithoutMask: 6 });
  for (const t of ['scratch', 'stain']) {
    const m = j.perDefect[t]!;
    assert.equal(m['imageAuroc'], full.perDefect[t]!['imageAuroc']);
    assert.deepEqual([m.pixelAuroc, m.aupro, m.count], [null, null, 3]);
    assert.equal(m.pixelMetricsReason, 'no masks: none of the 3 anomalous images has one');
  }
  assert.match(r.out, /pixel metrics: no masks: none of the 6 anomalous images has one/);
  const md = readFileSync(join(fx.dir, 'none-report', 'report.md'), 'utf8');
  assert.match(md, /\| all \| [0-9.]+ \| n\/a \(no masks: none of the 6 anomalous images has one\) \|/);
  assert.match(md, /\| scratch \(n=3\) \| [0-9.]+ \| n\/a \(no masks: none of the 3 anomalous images has one\) \|/);
  assert.match(md, /6 with an image label only/);
  assert.deepEqual(readJson('none-report/report.json'), j);
  const png = await decodeImage(readFileSync(join(fx.dir, 'none-report', 'roc-pixel.png')));
  assert.deepEqual([png.width, png.height], [640, 480]);
});

test('some masks: pixel metrics over the normals and the masked anomalies, and the report says which', async () => {
  const data = withoutMasks('some', ['stain']);
  const r = await cli(['eval', '--model', 'pkg', '--data', data, '--json', 'some.json', '--report', 'some-report']);
  assert.equal(r.code, 0, r.err);
  const j = readJson('some.json');
  assert.equal(j['imageAuroc'], full['imageAuroc']);
  // Pixel truth is now the normals + the scratch images: exactly the set the full run's scratch row is computed on.
  assert.equal(j.pixelAuroc, full.perDefect['scratch']!.pixelAuroc);
  assert.equal(j.aupro, full.perDefect['scratch']!.aupro);
  assert.notEqual(j.pixelAuroc, full.pixelAuroc);
  assert.match(j.pixelMetricsReason ?? '', /^masked subset: 3 of 6 anomalous images have a mask/);
  assert.deepEqual(j.perDefect['scratch'], { ...full.perDefect['scratch']!, pixelMetricsReason: null });
  assert.deepEqual(
    [j.perDefect['stain']!.pixelAuroc, j.perDefect['stain']!.pixelMetricsReason],
    [null, 'no masks: none of the 3 anomalous images has one'],
  );
  assert.equal(j.counts['anomalousWithoutMask'], 3);
  const md = readFileSync(join(fx.dir, 'some-report', 'report.md'), 'utf8');
  assert.match(md, /Pixel metrics: masked subset: 3 of 6 anomalous images have a mask/);
  assert.match(md, /\| stain \(n=3\) \| [0-9.]+ \| n\/a \(no masks: none of the 3 anomalous images has one\) \|/);

  // A JSONL manifest whose stain lines have a label but no mask gives the same figures.
  const ds = await loadMvtec(join(fx.dir, 'full'), { splits: ['test'] });
  const entries = manifestFromSamples(ds.samples, join(fx.dir, 'full')).map((e) =>
    e.defectType === 'stain' ? { image: e.image, label: 1 as const, defectType: 'stain' } : e,
  );
  await writeManifest(join(fx.dir, 'full', 'some.jsonl'), entries);
  const m = await cli(['eval', '--model', 'pkg', '--data', 'full/some.jsonl', '--json', 'some-m.json']);
  assert.equal(m.code, 0, m.err);
  const jm = readJson('some-m.json');
  for (const k of ['imageAuroc', 'pixelAuroc', 'aupro', 'pixelMetricsReason', 'perDefect', 'counts'])
    assert.deepEqual(jm[k], j[k], k);
});

test('a mask that is there but the wrong size is still refused with its code (exit 3)', async () => {
  const data = withoutMasks('wrong', ['stain']);
  await writeMask(join(fx.dir, data, 'ground_truth', 'scratch', '1_mask.png'), emptyMask(20, 20));
  const r = await cli(['eval', '--model', 'pkg', '--data', data, '--json', 'wrong.json']);
  assert.equal(r.code, 3);
  assert.match(r.err, /^error LW_DATA_MASK_SIZE_MISMATCH: mask .*scratch\/1_mask\.png/m);
});
