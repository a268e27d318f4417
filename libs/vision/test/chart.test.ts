import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import {
  VisionErrorCodes,
  composeGrid,
  createImage,
  decodeImage,
  linePlotSvg,
  niceTicks,
  svgToPng,
} from '../src/index.js';
import { rejectsCode, throwsCode } from './helpers.js';

test('niceTicks picks 1/2/5 steps', () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 100, 4), [0, 50, 100]);
});

test('linePlotSvg: one polyline per series, escaped legend, decimation', async () => {
  const x = Array.from({ length: 10_001 }, (_, i) => i / 10_000);
  const svg = linePlotSvg({
    title: 'ROC <test>',
    xLabel: 'FPR',
    yLabel: 'TPR',
    xRange: [0, 1],
    yRange: [0, 1],
    diagonal: true,
    series: [
      { name: 'model A & B', x, y: x.map((v) => Math.sqrt(v)) },
      { name: 'parent', x: [0, 0.5, 1], y: [0, 0.7, 1], dashed: true },
    ],
  });
  assert.equal((svg.match(/<polyline/g) ?? []).length, 2);
  assert.ok(svg.includes('model A &amp; B'));
  assert.ok(svg.includes('ROC &lt;test&gt;'));
  assert.ok(svg.length < 200_000, 'decimated');
  const png = await svgToPng(svg);
  const meta = await sharp(png).metadata();
  assert.equal(meta.width, 480);
  assert.equal(meta.height, 360);
  throwsCode(() => linePlotSvg({ series: [{ name: 'bad', x: [0, 1], y: [0] }] }), VisionErrorCodes.BAD_ARGUMENT);
  await rejectsCode(svgToPng('<svg'), VisionErrorCodes.ENCODE_FAILED);
});

test('composeGrid tiles images with captions', async () => {
  const red = createImage(20, 10, [255, 0, 0]);
  const blue = createImage(40, 20, [0, 0, 255]); // resized to the first tile's size
  const png = await composeGrid(
    [{ image: red, caption: 'frame' }, { image: blue, caption: 'overlay' }, { image: red }],
    { columns: 2, padding: 4, captionHeight: 12 },
  );
  const img = await decodeImage(png);
  assert.equal(img.width, 4 + 2 * 24);
  assert.equal(img.height, 4 + 2 * 26);
  const px = (x: number, y: number) =>
    Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
  assert.deepEqual(px(5, 5), [255, 0, 0]);
  assert.deepEqual(px(4 + 24 + 2, 6), [0, 0, 255]);
  assert.deepEqual(px(0, 0), [255, 255, 255]);
  await rejectsCode(composeGrid([]), VisionErrorCodes.BAD_ARGUMENT);
});
