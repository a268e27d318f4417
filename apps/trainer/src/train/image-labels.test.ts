/**
 * Training folders with image-level labels: train/<defect> images without masks are listed as anomalies and feed an
 * L_img fine-tune; with some masks present, `--loss auto` uses every label in one run (masked anomalies with L_px,
 * the others with L_img) while `--loss px` leaves the unmasked ones out (logged). The manifest counts the labels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKeys, loadPublicKey, verifyPackage } from '@linewatch/model-package';
import type { Manifest } from '@linewatch/protocol';
import { encodeMaskPng, encodePng, generateSurface } from '@linewatch/vision';
import { trainParent } from '../testing/job-fixtures.js';
import type { Progress } from '../progress.js';
import { loadTrainingSet } from './data.js';
import type { FinetuneOptions } from './options.js';
import { PARAMS_FILE, decodeParams } from './package.js';
import { finetunePlan, runFinetune } from './pipeline.js';

/** train/good ×12 and train/scratch ×4 (80×72 brushed surfaces); masks for the scratch stems in `masked`. */
async function writeFolder(root: string, masked: readonly number[]): Promise<void> {
  for (const [dir, count, defect] of [
    ['good', 12, 'none'],
    ['scratch', 4, 'scratch'],
  ] as const) {
    mkdirSync(join(root, 'train', dir), { recursive: true });
    for (let i = 0; i < count; i++) {
      const s = generateSurface({ seed: `il/${dir}/${i}`, width: 80, height: 72, texture: 'brushed', defect });
      writeFileSync(join(root, 'train', dir, `${i}.png`), await encodePng(s.image));
      if (defect !== 'none' && masked.includes(i)) {
        mkdirSync(join(root, 'ground_truth', dir), { recursive: true });
        writeFileSync(join(root, 'ground_truth', dir, `${i}_mask.png`), await encodeMaskPng(s.mask));
      }
    }
  }
}

/** Records phase labels and log lines. */
function recorder(): Progress & { labels: string[]; lines: string[] } {
  const labels: string[] = [];
  const lines: string[] = [];
  return { labels, lines, start: (_n, label) => labels.push(label), tick() {}, done() {}, log: (l) => lines.push(l) };
}

async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-image-labels-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const opts = (data: string, loss: FinetuneOptions['loss']): FinetuneOptions => ({
  from: '/unused',
  data,
  dataKind: 'mvtec',
  loss,
  out: '/unused-out',
  resume: false,
});

test('a folder without masks: anomalies listed with maskPath null, auto and img plan L_img with all of them', () =>
  inTemp(async (dir) => {
    await writeFolder(dir, []);
    const set = await loadTrainingSet(dir);
    assert.deepEqual([set.normal.length, set.anomalous.length], [12, 4]);
    assert.ok(set.anomalous.every((a) => a.maskPath === null && a.label === 1 && a.defectType === 'scratch'));
    for (const loss of ['auto', 'img'] as const) {
      const plan = finetunePlan(opts(dir, loss), set, recorder());
      assert.deepEqual([plan.kind, plan.anomalies.length, plan.confetti], ['img', 4, 0], loss);
    }
    // px cannot use image labels: it falls back to confetti, or refuses when confetti is off.
    const px = finetunePlan(opts(dir, 'px'), set, recorder());
    assert.deepEqual([px.kind, px.anomalies.length], ['px', 0]);
    assert.ok(px.confetti > 0);
    assert.throws(() => finetunePlan({ ...opts(dir, 'px'), confetti: 0 }, set, recorder()), /with masks/);
  }));

test('some masks: auto plans one mixed run with every anomaly; px leaves the unmasked ones out, saying so', () =>
  inTemp(async (dir) => {
    await writeFolder(dir, [0, 2]);
    const set = await loadTrainingSet(dir);
    const rec = recorder();
    const auto = finetunePlan(opts(dir, 'auto'), set, rec);
    assert.deepEqual(
      [auto.kind, auto.anomalies.length, auto.masked, auto.imageOnly, auto.confetti],
      ['mixed', 4, 2, 2, 0],
    );
    assert.ok(
      rec.lines.includes('auto: 2 masked anomalies with L_px and 2 image-labelled with L_img'),
      rec.lines.join('\n'),
    );
    const pxRec = recorder();
    const px = finetunePlan(opts(dir, 'px'), set, pxRec);
    assert.deepEqual([px.kind, px.anomalies.length, px.masked, px.imageOnly], ['px', 2, 2, 0]);
    assert.ok(pxRec.lines.includes('px: 2 anomalies without masks left out'), pxRec.lines.join('\n'));
    const img = finetunePlan(opts(dir, 'img'), set, recorder());
    assert.deepEqual([img.kind, img.anomalies.length, img.masked, img.imageOnly], ['img', 4, 0, 4]);
  }));

test('all masked: auto plans L_px with every anomaly', () =>
  inTemp(async (dir) => {
    await writeFolder(dir, [0, 1, 2, 3]);
    const auto = finetunePlan(opts(dir, 'auto'), await loadTrainingSet(dir), recorder());
    assert.deepEqual([auto.kind, auto.anomalies.length, auto.masked, auto.imageOnly], ['px', 4, 4, 0]);
  }));

const labelCounts = (m: Manifest['metrics']) => [
  m['labelsMasked'],
  m['labelsImageOnly'],
  m['labelsNormals'],
  m['labelsRejected'],
  m['anomalies'],
  m['confetti'],
];

test(
  'finetune --loss auto uses every label: mixed masks and image labels, masks only, image labels only',
  { timeout: 300_000 },
  () =>
    inTemp(async (dir) => {
      const keys = generateSigningKeys(join(dir, 'keys'));
      const parent = await trainParent(dir, keys.privateKeyPath);
      const publicKey = loadPublicKey(keys.publicKeyPath);
      // 12 normals, of which holdOut keeps every 10th by path for validation: 11 train.
      const cases = [
        { name: 'mixed', masked: [1, 3], phase: 'fine-tune L_px+L_img', loss: 'mixed', counts: [2, 2, 11, 0, 4, 0] },
        { name: 'masks', masked: [0, 1, 2, 3], phase: 'fine-tune L_px', loss: 'px', counts: [4, 0, 11, 0, 4, 0] },
        { name: 'image', masked: [], phase: 'fine-tune L_img', loss: 'img', counts: [0, 4, 11, 0, 4, 0] },
      ];
      for (const c of cases) {
        const data = join(dir, `data-${c.name}`);
        await writeFolder(data, c.masked);
        const rec = recorder();
        const out = join(dir, `ft-${c.name}`);
        await runFinetune({ ...opts(data, 'auto'), from: parent.dir, out, privateKeyPath: keys.privateKeyPath }, rec);
        assert.ok(rec.labels.includes(c.phase), `${c.name}: ${rec.labels.join(', ')}`);
        const pkg = verifyPackage(out, [publicKey]);
        assert.deepEqual(labelCounts(pkg.manifest.metrics), c.counts, c.name);
        assert.equal(decodeParams(pkg.files.get(PARAMS_FILE)!).record.loss, c.loss, c.name);
        assert.ok(Number.isFinite(pkg.manifest.metrics['finalLoss']), c.name);
      }
    }),
);
