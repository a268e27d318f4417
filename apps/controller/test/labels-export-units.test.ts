/**
 * Units of label export/import: COCO RLE (pycocotools' compressed string, column-major) against hand-worked
 * vectors and random masks; the MVTec layout planner; unsafe relative paths; class folder names.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng } from '@linewatch/vision';
import { isControllerError } from '../src/errors.js';
import { planImport } from '../src/labels-io/layout.js';
import { assertSafeRelative } from '../src/labels-io/paths.js';
import {
  areaAndBox,
  countsFromString,
  countsToString,
  decodeRle,
  encodeRle,
  runLengths,
} from '../src/labels-io/rle.js';
import { classFolder } from '../src/labels-io/selection.js';

test('RLE: hand-worked pycocotools strings (deltas from the count two before, sign bit, continuation)', () => {
  // 0 → '0', 5 → '5', 3 → '3'; 100 = 3·32 + 4 → 'T' (4 | 0x20 continuation) '3'.
  assert.equal(countsToString([0, 5, 3]), '053');
  assert.equal(countsToString([100]), 'T3');
  // [2, 3, 4, 1]: the 4th count is stored as 1 − 3 = −2 → 30 (0x1e, sign bit set, no continuation) → 'N'.
  assert.equal(countsToString([2, 3, 4, 1]), '234N');
  assert.deepEqual(countsFromString('234N'), [2, 3, 4, 1]);
  assert.deepEqual(countsFromString('T3'), [100]);
  assert.throws(() => countsFromString('T'), RangeError);
});

test('RLE: column-major runs starting with background', () => {
  // 2×3 (h×w), row-major data; columns are [0,1], [1,1], [0,0] → runs 0:1, 1:3, 0:2.
  const mask = { width: 3, height: 2, data: Uint8Array.from([0, 1, 0, 1, 1, 0]) };
  assert.deepEqual(runLengths(mask), [1, 3, 2]);
  assert.deepEqual(runLengths({ width: 2, height: 1, data: Uint8Array.from([1, 1]) }), [0, 2]);
  assert.deepEqual(encodeRle(mask).size, [2, 3]);
  assert.deepEqual(areaAndBox(mask), { area: 3, bbox: [0, 0, 2, 2] });
  assert.deepEqual(areaAndBox({ width: 2, height: 2, data: new Uint8Array(4) }), { area: 0, bbox: [0, 0, 0, 0] });
});

test('RLE: random masks, including large runs, decode to the same pixels', () => {
  const rng = createRng(20);
  for (let n = 0; n < 60; n++) {
    const width = 1 + Math.floor(rng.next() * 70);
    const height = 1 + Math.floor(rng.next() * 50);
    const density = rng.next();
    const data = Uint8Array.from({ length: width * height }, () => (rng.next() < density ? 1 : 0));
    const mask = { width, height, data };
    const back = decodeRle(encodeRle(mask));
    assert.deepEqual(back.data, data, `${width}×${height}`);
  }
  const big = { width: 3000, height: 2000, data: new Uint8Array(3000 * 2000) };
  big.data.fill(1, 1_000_000, 5_000_000);
  assert.deepEqual(decodeRle(encodeRle(big)).data, big.data);
  assert.throws(() => decodeRle({ size: [2, 2], counts: countsToString([1, 1]) }), RangeError);
});

const code = (fn: () => unknown, c: string) => assert.throws(fn, (e: unknown) => isControllerError(e) && e.code === c);

test('layout: splits, classes, masks by stem, one wrapping folder, junk skipped', () => {
  const plan = planImport([
    'cable/train/good/000.png',
    'cable/test/good/000.png',
    'cable/test/bent wire/000.png',
    'cable/test/bent wire/001.jpg',
    'cable/test/anomalous/002.png',
    'cable/ground_truth/bent wire/000_mask.png',
    'cable/license.txt',
    'cable/.DS_Store',
    '__MACOSX/cable/._x',
  ]);
  assert.deepEqual(plan.normals, ['cable/test/good/000.png', 'cable/train/good/000.png']);
  assert.deepEqual(
    plan.anomalies.map((a) => [a.path, a.className, a.maskPath]),
    [
      ['cable/test/anomalous/002.png', null, null],
      ['cable/test/bent wire/000.png', 'bent wire', 'cable/ground_truth/bent wire/000_mask.png'],
      ['cable/test/bent wire/001.jpg', 'bent wire', null],
    ],
  );
  assert.deepEqual(plan.skipped.sort(), ['__MACOSX/cable/._x', 'cable/.DS_Store', 'cable/license.txt']);
  code(() => planImport(['a/train/good/0.png', 'b/train/good/0.png']), 'LW_CTRL_IMPORT_LAYOUT');
  code(() => planImport(['train/good/0.png', 'ground_truth/x/0.png']), 'LW_CTRL_IMPORT_LAYOUT');
  code(() => planImport(['train/good/0.png', 'ground_truth/x/0_mask.png']), 'LW_CTRL_IMPORT_MASK_ORPHAN');
  code(() => planImport(['test/x/0.png', 'ground_truth/y/0_mask.png']), 'LW_CTRL_IMPORT_MASK_ORPHAN');
});

test('paths: only plain relative paths pass; class folders stay one safe segment', () => {
  for (const ok of ['a', 'a/b.png', 'train/good/', 'x y/ü.png']) assertSafeRelative(ok);
  for (const bad of ['', '/etc', 'C:/x', 'a\\b', '../a', 'a/../../b', 'a/./b', 'a//b', 'a\0b'])
    code(() => assertSafeRelative(bad), 'LW_CTRL_IMPORT_UNSAFE_PATH');
  assert.equal(classFolder('deep dent'), 'deep dent');
  assert.equal(classFolder('a/b\\c'), 'a_b_c');
  assert.equal(classFolder('..'), '_.');
  assert.equal(classFolder('.hidden'), '_hidden');
});
