import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PreprocessSettings, RgbImage } from '../src/index.js';
import {
  IMAGENET_SETTINGS,
  VisionErrorCodes,
  preprocess,
  preprocessInto,
  preprocessShape,
  resizeImage,
  settingsFromManifest,
} from '../src/index.js';
import { gradient, throwsCode } from './helpers.js';

const plain = (w: number, h: number, extra: Partial<PreprocessSettings> = {}): PreprocessSettings => ({
  inputWidth: w,
  inputHeight: h,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  scale: 1,
  channelOrder: 'rgb',
  layout: 'nchw',
  ...extra,
});

test('same size: NCHW planes hold the channels; bgr swaps planes', () => {
  const img = gradient(5, 3);
  const out = preprocess(img, plain(5, 3));
  assert.equal(out.length, 45);
  for (let p = 0; p < 15; p++) {
    assert.equal(out[p], img.data[p * 3]);
    assert.equal(out[15 + p], img.data[p * 3 + 1]);
    assert.equal(out[30 + p], img.data[p * 3 + 2]);
  }
  const bgr = preprocess(img, plain(5, 3, { channelOrder: 'bgr' }));
  for (let p = 0; p < 15; p++) assert.equal(bgr[p], img.data[p * 3 + 2]);
});

test('normalisation: (x·scale − mean)/std, incl. x/127.5 − 1', () => {
  const img: RgbImage = { width: 2, height: 1, channels: 3, data: new Uint8Array([0, 255, 51, 255, 0, 102]) };
  const a = preprocess(img, plain(2, 1, { scale: 1 / 127.5, mean: [1, 1, 1] }));
  assert.deepEqual(Array.from(a.subarray(0, 2)), [-1, 1]);
  const b = preprocess(img, plain(2, 1, { scale: 1 / 255, mean: [0, 0.5, 0.1], std: [1, 0.5, 0.2] }));
  assert.ok(Math.abs(b[2]! - (1 - 0.5) / 0.5) < 1e-6);
  assert.ok(Math.abs(b[4]! - (0.2 - 0.1) / 0.2) < 1e-5);
  const inet = preprocess(img, IMAGENET_SETTINGS);
  assert.deepEqual(preprocessShape(IMAGENET_SETTINGS), [1, 3, 256, 256]);
  assert.ok(Math.abs(inet[0]! - -0.485 / 0.229) < 1e-5);
});

test('bilinear resize uses half-pixel centres', () => {
  const img: RgbImage = { width: 2, height: 1, channels: 3, data: new Uint8Array([0, 0, 0, 100, 100, 100]) };
  const out = preprocess(img, plain(4, 1));
  assert.deepEqual(Array.from(out.subarray(0, 4)), [0, 25, 75, 100]);
  const flat: RgbImage = { width: 7, height: 5, channels: 3, data: new Uint8Array(105).fill(42) };
  assert.ok(preprocess(flat, plain(16, 9)).every((v) => v === 42));
  const small = resizeImage(flat, 3, 2);
  assert.ok(small.data.every((v) => v === 42));
});

test('preprocessInto writes into the given buffer and validates', () => {
  const s = plain(8, 8, { scale: 1 / 255 });
  const buf = new Float32Array(3 * 64);
  const a = preprocessInto(buf, gradient(20, 10), s);
  assert.equal(a, buf);
  const copy = buf.slice();
  preprocessInto(buf, gradient(20, 10), s);
  assert.deepEqual(buf, copy);
  throwsCode(() => preprocessInto(new Float32Array(10), gradient(20, 10), s), VisionErrorCodes.BAD_ARGUMENT);
  throwsCode(() => preprocess(gradient(4, 4), plain(8, 8, { std: [1, 0, 1] })), VisionErrorCodes.BAD_ARGUMENT);
  throwsCode(() => preprocess(gradient(4, 4), plain(0, 8)), VisionErrorCodes.BAD_ARGUMENT);
  throwsCode(() => preprocess({ ...gradient(4, 4), width: 5 }, s), VisionErrorCodes.BAD_ARGUMENT);
});

test('grayscale models: one luma plane; settings from a model manifest', () => {
  const img: RgbImage = { width: 2, height: 1, channels: 3, data: new Uint8Array([100, 100, 100, 255, 0, 0]) };
  const s = settingsFromManifest({
    input: { width: 2, height: 1, channels: 1 },
    normalization: { mean: [0.5], std: [0.25], scale: 1 / 255, channelOrder: 'RGB' },
  });
  assert.deepEqual(preprocessShape(s), [1, 1, 1, 2]);
  const out = preprocess(img, s);
  assert.equal(out.length, 2);
  assert.ok(Math.abs(out[0]! - (100 / 255 - 0.5) / 0.25) < 1e-5);
  assert.ok(Math.abs(out[1]! - ((0.299 * 255) / 255 - 0.5) / 0.25) < 1e-5);
  const bgr = settingsFromManifest({
    input: { width: 4, height: 4, channels: 3 },
    normalization: { mean: [1, 2, 3], std: [1, 1, 1], scale: 1, channelOrder: 'BGR' },
  });
  assert.equal(bgr.channelOrder, 'bgr');
  assert.equal(preprocess(gradient(4, 4), bgr).length, 48);
  throwsCode(
    () =>
      settingsFromManifest({
        input: { width: 4, height: 4, channels: 3 },
        normalization: { mean: [0], std: [1], scale: 1, channelOrder: 'RGB' },
      }),
    VisionErrorCodes.BAD_ARGUMENT,
  );
});

test('antialias resize: same size is the identity; bgr and luma follow the bilinear path', () => {
  const img = gradient(6, 4);
  const aa = preprocess(img, plain(6, 4, { resize: 'antialias' }));
  assert.deepEqual(aa, preprocess(img, plain(6, 4)));
  const bgr = preprocess(img, plain(6, 4, { resize: 'antialias', channelOrder: 'bgr' }));
  for (let p = 0; p < 24; p++) assert.equal(bgr[p], img.data[p * 3 + 2]);
  const luma = preprocess(img, plain(6, 4, { resize: 'antialias', channels: 1, mean: [0], std: [1] }));
  for (let p = 0; p < 24; p++) {
    const want = 0.299 * img.data[p * 3]! + 0.587 * img.data[p * 3 + 1]! + 0.114 * img.data[p * 3 + 2]!;
    assert.ok(Math.abs(luma[p]! - want) < 1e-3);
  }
});

test('antialias resize: a fine checkerboard shrinks to flat grey, where 2×2 bilinear aliases', () => {
  // 1-pixel checkerboard, 63 → 21 (3× down): bilinear's half-pixel sample points land exactly on single source
  // pixels (pure black or white), while area averaging covers 3×3 cells (4 or 5 of 9 white).
  const n = 63;
  const data = new Uint8Array(n * n * 3);
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) data.fill((x + y) % 2 ? 255 : 0, (y * n + x) * 3, (y * n + x) * 3 + 3);
  const img: RgbImage = { width: n, height: n, channels: 3, data };
  const aa = preprocess(img, plain(21, 21, { resize: 'antialias' })).subarray(0, 441);
  const interior = [...aa].filter((_, i) => i % 21 > 0 && i % 21 < 20 && i >= 21 && i < 420);
  for (const v of interior) assert.ok(Math.abs(v - 127.5) < 15, `antialiased ${v}`);
  const plainOut = preprocess(img, plain(21, 21)).subarray(0, 441);
  assert.ok(
    [...plainOut].some((v) => Math.abs(v - 127.5) > 60),
    'bilinear without a prefilter keeps the aliasing',
  );
});

test('antialias resize: area averaging when shrinking (hand-computed), bilinear when enlarging', () => {
  // 5×1 → 2×1: scale 2.5, footprints [0, 2.5) and [2.5, 5): weights 1, 1, 0.5 and 0.5, 1, 1 (over 2.5 each).
  const vals = [0, 50, 100, 150, 200];
  const data = new Uint8Array(15);
  vals.forEach((v, i) => data.fill(v, i * 3, i * 3 + 3));
  const row = { width: 5, height: 1, channels: 3 as const, data };
  const out = preprocess(row, plain(2, 1, { resize: 'antialias' }));
  assert.ok(Math.abs(out[0]! - (0 + 50 + 0.5 * 100) / 2.5) < 1e-3, String(out[0]));
  assert.ok(Math.abs(out[1]! - (0.5 * 100 + 150 + 200) / 2.5) < 1e-3, String(out[1]));
  // Enlarging: identical to the bilinear path (half-pixel centres, clamped borders).
  const up = preprocess(row, plain(9, 3, { resize: 'antialias' }));
  const ref = preprocess(row, plain(9, 3));
  for (let i = 0; i < up.length; i++) assert.ok(Math.abs(up[i]! - ref[i]!) < 1e-3, `${i}: ${up[i]} vs ${ref[i]}`);
});

test('antialias resize: equals a direct area average at integer and fractional scales', () => {
  // Reference: each output pixel is the overlap-weighted mean of the source pixels its footprint covers.
  const overlap = (src: number, dst: number, d: number): [number, number][] => {
    const k = src / dst;
    const a = d * k,
      b = Math.min((d + 1) * k, src);
    const w: [number, number][] = [];
    for (let s = Math.floor(a); s < b; s++) w.push([s, Math.min(s + 1, b) - Math.max(s, a)]);
    return w;
  };
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  for (const [sw, sh, dw, dh] of [
    [640, 480, 128, 96],
    [37, 23, 8, 5],
    [101, 64, 7, 9],
    [20, 20, 6, 6],
  ] as const) {
    const img = { width: sw, height: sh, channels: 3 as const, data: Uint8Array.from({ length: sw * sh * 3 }, rnd) };
    const out = preprocess(img, plain(dw, dh, { resize: 'antialias' }));
    for (let dy = 0; dy < dh; dy++) {
      for (let dx = 0; dx < dw; dx++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0,
            total = 0;
          for (const [sy, wy] of overlap(sh, dh, dy))
            for (const [sx, wx] of overlap(sw, dw, dx)) {
              sum += img.data[(sy * sw + sx) * 3 + c]! * wx * wy;
              total += wx * wy;
            }
          const got = out[c * dw * dh + dy * dw + dx]!;
          assert.ok(
            Math.abs(got - sum / total) < 1e-3,
            `${sw}x${sh}→${dw}x${dh} (${dx},${dy},${c}): ${got} vs ${sum / total}`,
          );
        }
      }
    }
  }
});

test('settingsFromManifest carries input.resize (absent → bilinear)', () => {
  const m = {
    input: { width: 4, height: 4, channels: 3 as const },
    normalization: { mean: [0, 0, 0], std: [1, 1, 1], scale: 1, channelOrder: 'RGB' as const },
  };
  assert.equal(settingsFromManifest(m).resize, 'bilinear');
  assert.equal(settingsFromManifest({ ...m, input: { ...m.input, resize: 'antialias' } }).resize, 'antialias');
});
