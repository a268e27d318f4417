import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeMaskPng, emptyMask } from '@linewatch/vision';
import { DatasetErrorCodes, iterateSamples, loadImage, loadMvtec, loadSample, summarize } from '../src/index.js';
import { dataRoot, magneticTile, buildMiniMvtec, put, rejectsCode, withTempDir } from './helpers.js';

test('magnetic-tile: split and defect counts, masks for every defect image', { skip: magneticTile.skip }, async () => {
  const ds = await loadMvtec(dataRoot());
  const c = summarize(ds);
  assert.equal(c.train.good, 600);
  assert.equal(c.train.defective, 77);
  assert.equal(c.test.good, 150);
  assert.equal(c.test.defective, 156);
  assert.deepEqual(ds.defectTypes, ['blowhole', 'break', 'crack', 'fray', 'uneven']);
  assert.deepEqual(c.test.byDefect, { blowhole: 46, break: 34, crack: 23, fray: 13, uneven: 40 });
  for (const s of ds.samples) {
    if (s.label === 0) assert.equal(s.maskPath, null);
    else assert.ok(s.maskPath?.endsWith(`${s.defectType}/${s.stem}_mask.png`), s.path);
  }
});

test(
  'magnetic-tile: lazy decode of a sample per defect type gives RGB + binary mask of the same size',
  { skip: magneticTile.skip },
  async () => {
    const ds = await loadMvtec(dataRoot(), { splits: ['test'] });
    const picks = [
      ds.samples.find((s) => s.label === 0)!,
      ...ds.defectTypes.map((d) => ds.samples.find((s) => s.defectType === d)!),
    ];
    for await (const { sample, image, mask, hasPixelLabels } of iterateSamples(picks)) {
      assert.equal(image.channels, 3);
      assert.equal(mask.width, image.width);
      assert.equal(mask.height, image.height);
      assert.ok(mask.data.every((v) => v === 0 || v === 1));
      assert.equal(hasPixelLabels, sample.label === 1);
      assert.equal(mask.data.includes(1), sample.label === 1, sample.path);
    }
  },
);

test('mini layout: ignores non-images, accepts upper-case extensions, sorted and typed', async () => {
  await withTempDir(async (root) => {
    await buildMiniMvtec(root);
    const ds = await loadMvtec(root);
    assert.deepEqual(
      ds.samples.map((s) => `${s.split}/${s.defectType}/${s.stem}:${s.label}`),
      ['train/good/a:0', 'train/good/b:0', 'test/good/c:0', 'test/scratch/d:1'],
    );
    const loaded = await loadSample(ds.samples[3]!);
    assert.ok(loaded.mask.data.includes(1));
  });
});

test('missing folders are named', async () => {
  await withTempDir(async (root) => {
    await rejectsCode(loadMvtec(join(root, 'nope')), DatasetErrorCodes.MISSING_FOLDER, join(root, 'nope'));
    await buildMiniMvtec(root);
    await rm(join(root, 'train/good'), { recursive: true });
    await rejectsCode(loadMvtec(root), DatasetErrorCodes.MISSING_FOLDER, join(root, 'train', 'good'));
    await rejectsCode(loadMvtec(join(root, 'train')), DatasetErrorCodes.MISSING_FOLDER);
    const testOnly = await loadMvtec(root, { splits: ['test'] });
    assert.equal(testOnly.samples.length, 2);
  });
});

test('missing mask: coded error naming image and expected mask; requireMasks:false lists it with null', async () => {
  await withTempDir(async (root) => {
    await buildMiniMvtec(root);
    await rm(join(root, 'ground_truth/scratch/d_mask.png'));
    await rejectsCode(loadMvtec(root), DatasetErrorCodes.MISSING_MASK, 'd_mask.png');
    await rm(join(root, 'ground_truth'), { recursive: true });
    await rejectsCode(loadMvtec(root), DatasetErrorCodes.MISSING_FOLDER, 'ground_truth');
    const ds = await loadMvtec(root, { requireMasks: false });
    const d = ds.samples.find((s) => s.stem === 'd')!;
    assert.equal(d.maskPath, null);
    const loaded = await loadSample(d);
    assert.equal(loaded.hasPixelLabels, false);
    assert.ok(loaded.mask.data.every((v) => v === 0));
  });
});

test('unreadable image and mask size mismatch are named at load time', async () => {
  await withTempDir(async (root) => {
    await buildMiniMvtec(root);
    await writeFile(join(root, 'test/good/c.jpg'), 'not a jpeg at all');
    await put(join(root, 'ground_truth/scratch/d_mask.png'), await encodeMaskPng(emptyMask(41, 32)));
    const ds = await loadMvtec(root);
    const c = ds.samples.find((s) => s.stem === 'c')!;
    await rejectsCode(loadImage(c), DatasetErrorCodes.UNREADABLE_IMAGE, 'c.jpg');
    const d = ds.samples.find((s) => s.stem === 'd')!;
    await rejectsCode(loadSample(d), DatasetErrorCodes.MASK_SIZE_MISMATCH, 'd_mask.png');
    await rejectsCode(loadImage(d, { maxPixels: 100 }), DatasetErrorCodes.UNREADABLE_IMAGE, 'TOO_LARGE');
    await rejectsCode(loadImage(d, { maxBytes: 10 }), DatasetErrorCodes.UNREADABLE_IMAGE, 'byte limit');
    await rm(join(root, 'ground_truth/scratch/d_mask.png'));
    await rejectsCode(loadSample(d), DatasetErrorCodes.MISSING_MASK, 'd_mask.png');
  });
});

test('symlinked images and folders are followed', async () => {
  await withTempDir(async (dir) => {
    const real = join(dir, 'real');
    await buildMiniMvtec(real);
    const root = join(dir, 'linked');
    await mkdir(join(root, 'train/good'), { recursive: true });
    await symlink(join(real, 'train/good/a.jpg'), join(root, 'train/good/a.jpg'));
    await symlink(join(real, 'test'), join(root, 'test'));
    await symlink(join(real, 'ground_truth'), join(root, 'ground_truth'));
    const ds = await loadMvtec(root);
    assert.deepEqual(
      ds.samples.map((s) => s.stem),
      ['a', 'c', 'd'],
    );
    assert.ok((await loadSample(ds.samples[2]!)).mask.data.includes(1));
  });
});

test('a layout with no images is LW_DATA_EMPTY', async () => {
  await withTempDir(async (root) => {
    await put(join(root, 'train/good/readme.txt'), 'x');
    await rejectsCode(loadMvtec(root, { splits: ['train'] }), DatasetErrorCodes.EMPTY);
  });
});
