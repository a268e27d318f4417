import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FloatMap, PreprocessSettings } from '../src/index.js';
import {
  contentRect,
  mapContent,
  mapToImage,
  maskAtInput,
  maskToGrid,
  maskToInputGrid,
  preprocess,
  resizeMap,
  settingsFromManifest,
  VisionErrorCodes,
} from '../src/index.js';
import { gradient, throwsCode } from './helpers.js';

const settings = (w: number, h: number, extra: Partial<PreprocessSettings> = {}): PreprocessSettings => ({
  inputWidth: w,
  inputHeight: h,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  scale: 1,
  channelOrder: 'rgb',
  layout: 'nchw',
  fit: 'letterbox',
  ...extra,
});

test('contentRect: centred, aspect kept, whole input when stretching or when the aspect already matches', () => {
  assert.deepEqual(contentRect(200, 100, settings(8, 8)), { left: 0, top: 2, width: 8, height: 4 });
  assert.deepEqual(contentRect(100, 300, settings(8, 8)), { left: 2, top: 0, width: 3, height: 8 }); // 8/3 = 2.67 → 3
  assert.deepEqual(contentRect(640, 480, settings(8, 6)), { left: 0, top: 0, width: 8, height: 6 });
  assert.deepEqual(contentRect(200, 100, settings(8, 8, { fit: 'stretch' })), { left: 0, top: 0, width: 8, height: 8 });
  assert.deepEqual(contentRect(200, 100, settings(8, 8, { fit: undefined })), { left: 0, top: 0, width: 8, height: 8 });
  // A sliver never vanishes: at least one pixel.
  assert.deepEqual(contentRect(1000, 1, settings(8, 8)), { left: 0, top: 3, width: 8, height: 1 });
});

for (const resize of ['bilinear', 'antialias'] as const) {
  test(`letterbox (${resize}): the content equals a stretch of the frame to the content size; bands hold its mean`, () => {
    const img = gradient(12, 6);
    const out = preprocess(img, settings(8, 8, { resize }));
    const inner = preprocess(img, settings(8, 4, { resize, fit: 'stretch' }));
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 8; x++) {
          const v = out[c * 64 + (y + 2) * 8 + x]!;
          assert.equal(v, inner[c * 32 + y * 8 + x], `c${c} (${x},${y})`);
          sum += v;
        }
      const mean = sum / 32;
      for (const y of [0, 1, 6, 7])
        for (let x = 0; x < 8; x++) assert.ok(Math.abs(out[c * 64 + y * 8 + x]! - mean) < 1e-4, `band c${c} y${y}`);
    }
  });
}

test('letterbox with a single luma plane and normalisation: bands are the normalised mean', () => {
  const img = gradient(4, 12);
  const s = settings(6, 6, { channels: 1, mean: [100], std: [50] });
  const out = preprocess(img, s);
  const r = contentRect(4, 12, s);
  assert.deepEqual(r, { left: 2, top: 0, width: 2, height: 6 });
  let sum = 0;
  for (let y = 0; y < 6; y++) for (let x = 2; x < 4; x++) sum += out[y * 6 + x]!;
  for (let y = 0; y < 6; y++) for (const x of [0, 1, 4, 5]) assert.ok(Math.abs(out[y * 6 + x]! - sum / 12) < 1e-4);
});

test('mapContent crops the content rectangle; mapToImage stretches it over the frame', () => {
  const s = settings(8, 8);
  // A map that says where it is: value = 10·y + x.
  const map: FloatMap = {
    width: 8,
    height: 8,
    data: Float32Array.from({ length: 64 }, (_, i) => 10 * Math.floor(i / 8) + (i % 8)),
  };
  const crop = mapContent(map, 200, 100, s);
  assert.equal(crop.width, 8);
  assert.equal(crop.height, 4);
  assert.deepEqual([...crop.data.subarray(0, 3)], [20, 21, 22]);
  assert.equal(crop.data[31], 57);
  const full = mapToImage(map, 200, 100, s);
  assert.equal(full.width, 200);
  assert.equal(full.height, 100);
  assert.deepEqual(full.data, resizeMap(crop, 200, 100, { alignCorners: true }).data);
  assert.equal(full.data[0], 20); // corners aligned: the frame's corner is the content's corner
  assert.equal(full.data[199 + 99 * 200], 57);
  // Stretch: nothing cropped.
  assert.equal(mapContent(map, 200, 100, settings(8, 8, { fit: 'stretch' })), map);
  throwsCode(
    () => mapContent({ width: 4, height: 4, data: new Float32Array(16) }, 200, 100, s),
    VisionErrorCodes.BAD_ARGUMENT,
  );
});

test('settingsFromManifest carries input.fit (absent → stretch) and validation names a bad fit', () => {
  const m = {
    input: { width: 4, height: 4, channels: 3 as const },
    normalization: { mean: [0, 0, 0], std: [1, 1, 1], scale: 1, channelOrder: 'RGB' as const },
  };
  assert.equal(settingsFromManifest(m).fit, 'stretch');
  assert.equal(settingsFromManifest({ ...m, input: { ...m.input, fit: 'letterbox' } }).fit, 'letterbox');
  throwsCode(() => preprocess(gradient(2, 2), settings(4, 4, { fit: 'crop' as never })), VisionErrorCodes.BAD_ARGUMENT);
});

test('maskToInputGrid: tokens over the bands are normal; cells straddling a band count the frame part only', () => {
  // 200×100 frame, left half anomalous; 8×8 input → content rows 2..5.
  const mask = { width: 200, height: 100, data: Uint8Array.from({ length: 20000 }, (_, i) => (i % 200 < 100 ? 1 : 0)) };
  const s = settings(8, 8);
  const g4 = maskToInputGrid(mask, 4, 4, s);
  assert.deepEqual([...g4.labels], [0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...g4.fractions].slice(4, 8), [1, 1, 0, 0]);
  // 2×2 grid: each cell is half band, half frame → fraction 0.5 in the left column.
  const g2 = maskToInputGrid(mask, 2, 2, s);
  assert.deepEqual([...g2.fractions], [0.5, 0, 0.5, 0]);
  assert.deepEqual([...maskToInputGrid(mask, 2, 2, s, { minFraction: 0.6 }).labels], [0, 0, 0, 0]);
  assert.deepEqual([...maskToInputGrid(mask, 2, 2, s, { minFraction: 1e-9 }).labels], [1, 0, 1, 0]);
  // A one-pixel defect still marks its token with the "any pixel" rule.
  const dot = { width: 200, height: 100, data: new Uint8Array(20000) };
  dot.data[50 * 200 + 199] = 1;
  const gd = maskToInputGrid(dot, 4, 4, s, { minFraction: 1e-9 });
  assert.deepEqual(
    [...gd.labels].map((v, i) => (v ? i : -1)).filter((i) => i >= 0),
    [11],
  );
  // Stretch: exactly maskToGrid.
  assert.deepEqual(maskToInputGrid(mask, 4, 4, settings(8, 8, { fit: 'stretch' })), maskToGrid(mask, 4, 4));
});

test('maskAtInput: the mask at the content rectangle size, nearest by pixel centre; stretch gives the whole input', () => {
  // 6×3 mask, one anomalous column (x = 4) and one anomalous pixel (0, 0); letterboxed into 4×4 → content 4×2.
  const data = new Uint8Array(18);
  for (let y = 0; y < 3; y++) data[y * 6 + 4] = 1;
  data[0] = 1;
  const mask = { width: 6, height: 3, data };
  const m = maskAtInput(mask, settings(4, 4));
  assert.equal(m.width, 4);
  assert.equal(m.height, 2);
  // Centres x = 0.75, 2.25, 3.75, 5.25 → columns 0, 2, 3, 5; y = 0.75, 2.25 → rows 0, 2. Column 4 falls between centres.
  assert.deepEqual([...m.data], [1, 0, 0, 0, 0, 0, 0, 0]);
  const wide = maskAtInput(
    { width: 6, height: 3, data: Uint8Array.from(data, (_, i) => (i % 6 >= 3 ? 1 : 0)) },
    settings(4, 4),
  );
  assert.deepEqual([...wide.data], [0, 0, 1, 1, 0, 0, 1, 1]);
  // Stretched to 3×3: columns 1, 3, 5 are sampled, so column 4 and pixel (0, 0) vanish and column 3 survives.
  assert.deepEqual([...maskAtInput(mask, settings(3, 3, { fit: 'stretch' })).data], [0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const col3 = { width: 6, height: 3, data: Uint8Array.from(data, (_, i) => (i % 6 === 3 ? 1 : 0)) };
  assert.deepEqual([...maskAtInput(col3, settings(3, 3, { fit: 'stretch' })).data], [0, 1, 0, 0, 1, 0, 0, 1, 0]);
  // Same size as the content: returned as is. Pairs with mapContent (same rectangle).
  assert.equal(maskAtInput({ width: 4, height: 2, data: new Uint8Array(8) }, settings(4, 4)).width, 4);
  const map: FloatMap = { width: 4, height: 4, data: new Float32Array(16) };
  const c = mapContent(map, 6, 3, settings(4, 4));
  assert.deepEqual([c.width, c.height], [m.width, m.height]);
});
