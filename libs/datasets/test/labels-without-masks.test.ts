/**
 * Image-level labels: anomalous images without a mask, in an MVTec-layout folder (some or all of them) and in a JSONL
 * manifest. They are listed with `maskPath: null` and counted; a mask that IS there but broken still fails, coded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { emptyMask, encodeMaskPng, encodePng, generateSurface } from '@linewatch/vision';
import { DatasetErrorCodes, loadMvtec, loadSample, readManifest, summarize } from '../src/index.js';
import { put, rejectsCode, withTempDir } from './helpers.js';

/** test/good ×2, test/crack ×3 and train/crack ×2 — each crack with a mask unless its stem is in `unmasked`. */
async function buildTree(root: string, unmasked: ReadonlySet<string>): Promise<void> {
  let seed = 1;
  const surface = (defect: 'none' | 'scratch') =>
    generateSurface({ seed: seed++, width: 24, height: 20, grayscale: true, defect });
  for (const [split, stems] of [
    ['train', ['t0', 't1']],
    ['test', ['a', 'b', 'c']],
  ] as const) {
    for (let i = 0; i < 2; i++)
      await put(join(root, split, 'good', `g${i}.png`), await encodePng(surface('none').image));
    for (const stem of stems) {
      const s = surface('scratch');
      await put(join(root, split, 'crack', `${stem}.png`), await encodePng(s.image));
      if (!unmasked.has(stem))
        await put(join(root, 'ground_truth', 'crack', `${stem}_mask.png`), await encodeMaskPng(s.mask));
    }
  }
}

const maskOf = (ds: Awaited<ReturnType<typeof loadMvtec>>, stem: string) =>
  ds.samples.find((s) => s.stem === stem)!.maskPath;

test('MVTec folder, every anomaly masked: the same listing with and without requireMasks, nothing counted', async () => {
  await withTempDir(async (root) => {
    await buildTree(root, new Set());
    const strict = await loadMvtec(root);
    const lenient = await loadMvtec(root, { requireMasks: false });
    assert.deepEqual(lenient, strict);
    assert.equal(summarize(lenient).test.withoutMask, 0);
    assert.equal(summarize(lenient).train.withoutMask, 0);
  });
});

test('MVTec folder, some anomalies without masks: listed with maskPath null and counted per split', async () => {
  await withTempDir(async (root) => {
    await buildTree(root, new Set(['b', 't1']));
    await rejectsCode(loadMvtec(root), DatasetErrorCodes.MISSING_MASK, 't1_mask.png');
    const ds = await loadMvtec(root, { requireMasks: false });
    assert.equal(maskOf(ds, 'b'), null);
    assert.equal(maskOf(ds, 't1'), null);
    assert.ok(maskOf(ds, 'a')?.endsWith(join('ground_truth', 'crack', 'a_mask.png')));
    const c = summarize(ds);
    assert.deepEqual(
      { test: [c.test.defective, c.test.withoutMask], train: [c.train.defective, c.train.withoutMask] },
      { test: [3, 1], train: [2, 1] },
    );
    const b = await loadSample(ds.samples.find((s) => s.stem === 'b')!);
    assert.equal(b.hasPixelLabels, false);
    assert.equal(b.sample.label, 1);
    const a = await loadSample(ds.samples.find((s) => s.stem === 'a')!);
    assert.equal(a.hasPixelLabels, true);
    assert.ok(a.mask.data.includes(1));
  });
});

test('MVTec folder, no masks at all (no ground_truth folder): every anomaly image-labelled', async () => {
  await withTempDir(async (root) => {
    await buildTree(root, new Set(['a', 'b', 'c', 't0', 't1']));
    await rejectsCode(loadMvtec(root), DatasetErrorCodes.MISSING_FOLDER, 'ground_truth');
    const ds = await loadMvtec(root, { requireMasks: false, splits: ['test'] });
    assert.deepEqual(
      ds.samples.map((s) => `${s.defectType}/${s.stem}:${s.label}:${s.maskPath === null ? 'no mask' : 'mask'}`),
      ['crack/a:1:no mask', 'crack/b:1:no mask', 'crack/c:1:no mask', 'good/g0:0:no mask', 'good/g1:0:no mask'],
    );
    assert.equal(summarize(ds).test.withoutMask, 3);
  });
});

test('a mask that exists but is broken or the wrong size stays a coded error with requireMasks:false', async () => {
  await withTempDir(async (root) => {
    await buildTree(root, new Set(['c']));
    await put(join(root, 'ground_truth', 'crack', 'a_mask.png'), await encodeMaskPng(emptyMask(12, 10)));
    await writeFile(join(root, 'ground_truth', 'crack', 'b_mask.png'), 'not a png');
    const ds = await loadMvtec(root, { requireMasks: false });
    const byStem = (stem: string) => ds.samples.find((s) => s.stem === stem)!;
    await rejectsCode(loadSample(byStem('a')), DatasetErrorCodes.MASK_SIZE_MISMATCH, 'a_mask.png');
    await rejectsCode(loadSample(byStem('b')), DatasetErrorCodes.UNREADABLE_IMAGE, 'b_mask.png');
    assert.equal((await loadSample(byStem('c'))).hasPixelLabels, false);
  });
});

test('manifest lines with label 1 and no mask are image-labelled anomalies; a named mask must exist', async () => {
  await withTempDir(async (root) => {
    await buildTree(root, new Set(['b']));
    const lines = [
      { image: 'test/good/g0.png', label: 0 },
      { image: 'test/crack/a.png', mask: 'ground_truth/crack/a_mask.png', label: 1, defectType: 'crack' },
      { image: 'test/crack/b.png', label: 1, defectType: 'crack' },
      { image: 'test/crack/c.png', label: 1 },
    ];
    await writeFile(join(root, 'm.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    const samples = await readManifest(join(root, 'm.jsonl'));
    assert.deepEqual(
      samples.map((s) => [s.label, s.maskPath === null]),
      [
        [0, true],
        [1, false],
        [1, true],
        [1, true],
      ],
    );
    assert.equal((await loadSample(samples[2]!)).hasPixelLabels, false);
    await rm(join(root, 'ground_truth', 'crack', 'a_mask.png'));
    await rejectsCode(loadSample(samples[1]!), DatasetErrorCodes.MISSING_MASK, 'a_mask.png');
  });
});
