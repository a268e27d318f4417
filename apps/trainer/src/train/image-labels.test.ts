/**
 * Training folders with image-level labels: train/<defect> images without masks are listed as anomalies and feed an
 * L_img fine-tune; with some masks present, `--loss auto` picks L_px and leaves the unmasked ones out (logged) —
 * today's rule, pinned here so a change to it is deliberate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKeys, loadPublicKey, verifyPackage } from '@linewatch/model-package';
import { encodeMaskPng, encodePng, generateSurface } from '@linewatch/vision';
import { trainParent } from '../testing/job-fixtures.js';
import type { Progress } from '../progress.js';
import { loadTrainingSet } from './data.js';
import type { FinetuneOptions } from './options.js';
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

test('some masks: auto picks L_px and leaves the unmasked anomalies out, saying so', () =>
  inTemp(async (dir) => {
    await writeFolder(dir, [0, 2]);
    const set = await loadTrainingSet(dir);
    const rec = recorder();
    const auto = finetunePlan(opts(dir, 'auto'), set, rec);
    assert.deepEqual([auto.kind, auto.anomalies.length], ['px', 2]);
    assert.ok(rec.lines.includes('px: 2 anomalies without masks left out'), rec.lines.join('\n'));
    const img = finetunePlan(opts(dir, 'img'), set, recorder());
    assert.deepEqual([img.kind, img.anomalies.length], ['img', 4]);
  }));

test(
  'finetune --loss auto on a mask-less folder trains L_img on the image-labelled anomalies',
  { timeout: 120_000 },
  () =>
    inTemp(async (dir) => {
      const keys = generateSigningKeys(join(dir, 'keys'));
      const parent = await trainParent(dir, keys.privateKeyPath);
      const data = join(dir, 'data');
      await writeFolder(data, []);
      const rec = recorder();
      const out = join(dir, 'ft');
      await runFinetune({ ...opts(data, 'auto'), from: parent.dir, out, privateKeyPath: keys.privateKeyPath }, rec);
      assert.ok(rec.labels.includes('fine-tune L_img'), rec.labels.join(', '));
      const metrics = verifyPackage(out, [loadPublicKey(keys.publicKeyPath)]).manifest.metrics;
      assert.deepEqual([metrics['anomalies'], metrics['confetti']], [4, 0]);
    }),
);
