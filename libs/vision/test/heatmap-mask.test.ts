import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  VisionErrorCodes,
  binarize,
  colorizeMap,
  colormapLut,
  createMap,
  decodeGray,
  decodeImage,
  decodeMask,
  emptyMask,
  encodeMaskPng,
  grayToMap,
  heatmapPng,
  mapToGray,
  maskToGrid,
  overlayHeatmap,
  overlayJpeg,
} from '../src/index.js';
import { dataRoot, magneticTile, gradient, rejectsCode, throwsCode } from './helpers.js';

test('mapToGray: given range, clamping, flat range', () => {
  const m = createMap(4, 1, new Float32Array([-1, 0, 0.5, 2]));
  assert.deepEqual(Array.from(mapToGray(m, { range: [0, 1] }).data), [0, 0, 128, 255]);
  assert.deepEqual(Array.from(mapToGray(m).data), [0, 85, 128, 255]);
  assert.deepEqual(Array.from(mapToGray(createMap(2, 1, new Float32Array([3, 3]))).data), [0, 0]);
  throwsCode(() => mapToGray(m, { range: [1, 0] }), VisionErrorCodes.BAD_ARGUMENT);
  const back = grayToMap(mapToGray(m, { range: [0, 1] }), [0, 1]);
  assert.ok(Math.abs(back.data[2]! - 0.5) < 1 / 255);
});

test('heatmapPng decodes back to the quantised levels', async () => {
  const m = createMap(3, 2, new Float32Array([0, 0.2, 0.4, 0.6, 0.8, 1]));
  const g = await decodeGray(await heatmapPng(m, { range: [0, 1] }));
  assert.deepEqual(Array.from(g.data), Array.from(mapToGray(m, { range: [0, 1] }).data));
});

test('colormaps: jet end points, turbo dark-blue to dark-red', () => {
  const jet = colormapLut('jet');
  assert.deepEqual(Array.from(jet.subarray(0, 3)), [0, 0, 128]);
  assert.deepEqual(Array.from(jet.subarray(765, 768)), [128, 0, 0]);
  const turbo = colormapLut('turbo');
  assert.ok(turbo[40 * 3 + 2]! > turbo[40 * 3]! + 100, 'turbo low end is blue');
  assert.ok(turbo[0]! + turbo[1]! + turbo[2]! < 120, 'turbo starts dark');
  assert.ok(turbo[230 * 3]! > turbo[230 * 3 + 2]! + 100, 'turbo high end is red');
  const c = colorizeMap(createMap(2, 1, new Float32Array([0, 1])), { colormap: 'jet' });
  assert.deepEqual(Array.from(c.data), [0, 0, 128, 128, 0, 0]);
});

test('overlay: alpha 0 keeps the frame, alpha 1 shows the heatmap, maps are resized to the frame', async () => {
  const frame = gradient(8, 6);
  const map = createMap(
    4,
    3,
    new Float32Array(12).map((_, i) => i),
  );
  assert.deepEqual(overlayHeatmap(frame, map, { alpha: 0 }).data, frame.data);
  const full = overlayHeatmap(frame, map, { alpha: 1, range: [0, 11] });
  assert.equal(full.width, 8);
  assert.deepEqual(Array.from(full.data.subarray(0, 3)), Array.from(colormapLut('turbo').subarray(0, 3)));
  throwsCode(() => overlayHeatmap(frame, map, { alpha: 2 }), VisionErrorCodes.BAD_ARGUMENT);
  const jpg = await overlayJpeg(frame, map, { quality: 80 });
  const back = await decodeImage(jpg);
  assert.equal(back.width, 8);
  assert.equal(back.height, 6);
});

test('binarize uses > 127', () => {
  const g = { width: 4, height: 1, channels: 1 as const, data: new Uint8Array([0, 127, 128, 255]) };
  assert.deepEqual(Array.from(binarize(g).data), [0, 0, 1, 1]);
});

test(
  'real dataset mask: binary, same size as its image; mismatch is a coded error',
  { skip: magneticTile.skip },
  async () => {
    const gt = join(dataRoot(), 'ground_truth/crack');
    const name = (await readdir(gt)).sort()[0]!;
    const stem = name.replace(/_mask\.png$/, '');
    const dir = (await readdir(join(dataRoot(), 'test/crack'))).includes(`${stem}.jpg`) ? 'test' : 'train';
    const img = await decodeImage(await readFile(join(dataRoot(), dir, 'crack', `${stem}.jpg`)));
    const bytes = await readFile(join(gt, name));
    const mask = await decodeMask(bytes, { expectedSize: img });
    assert.ok(mask.data.every((v) => v === 0 || v === 1));
    assert.ok(mask.data.includes(1));
    await rejectsCode(
      decodeMask(bytes, { expectedSize: { width: img.width + 1, height: img.height } }),
      VisionErrorCodes.SIZE_MISMATCH,
    );
    const back = await decodeMask(await encodeMaskPng(mask));
    assert.deepEqual(back.data, mask.data);
  },
);

test('maskToGrid: fractions per cell, threshold rule, partition of odd sizes', () => {
  const m = emptyMask(4, 4);
  for (const p of [0, 1, 4, 5, 2]) m.data[p] = 1; // top-left 2×2 block + one pixel of the top-right cell
  const g = maskToGrid(m, 2, 2);
  assert.deepEqual(Array.from(g.fractions), [1, 0.25, 0, 0]);
  assert.deepEqual(Array.from(g.labels), [1, 0, 0, 0]);
  assert.deepEqual(Array.from(maskToGrid(m, 2, 2, { minFraction: 0.25 }).labels), [1, 1, 0, 0]);
  // 7×5 mask, all anomalous, onto a 3×2 grid: every pixel is in exactly one cell, all fractions are 1
  const full = emptyMask(7, 5);
  full.data.fill(1);
  assert.ok(maskToGrid(full, 3, 2).fractions.every((f) => f === 1));
  // grid finer than the mask: each cell samples the pixel under its centre
  const tiny = emptyMask(2, 1);
  tiny.data[1] = 1;
  assert.deepEqual(Array.from(maskToGrid(tiny, 4, 1).labels), [0, 0, 1, 1]);
  throwsCode(() => maskToGrid(m, 2, 2, { minFraction: 0 }), VisionErrorCodes.BAD_ARGUMENT);
});
