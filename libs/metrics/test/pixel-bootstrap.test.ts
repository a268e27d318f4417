import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MetricsErrorCodes,
  isMetricsError,
  pixelAuroc,
  pixelAurocDifference,
  type PixelMapPair,
} from '../src/index.js';
import { rng } from './helpers.js';

const SIDE = 16;

/** A 16×16 image: a normal one, or one with a 4×4 defect; maps are noise plus `signal` on the defect. */
function image(random: () => number, anomalous: boolean, candSignal: number, parentSignal: number): PixelMapPair {
  const n = SIDE * SIDE;
  const mask = new Uint8Array(n);
  if (anomalous) {
    const x0 = Math.floor(random() * (SIDE - 4));
    const y0 = Math.floor(random() * (SIDE - 4));
    for (let y = y0; y < y0 + 4; y++) for (let x = x0; x < x0 + 4; x++) mask[y * SIDE + x] = 1;
  }
  const candidate = new Float32Array(n);
  const parent = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const noise = random();
    candidate[i] = noise + (mask[i] ? candSignal : 0);
    parent[i] = noise + (mask[i] ? parentSignal : 0) + 0.3 * (random() - 0.5);
  }
  return { mask, candidate, parent };
}

function images(seed: number, normals: number, anomalies: number, cand: number, par: number): PixelMapPair[] {
  const random = rng(seed);
  return [
    ...Array.from({ length: normals }, () => image(random, false, cand, par)),
    ...Array.from({ length: anomalies }, () => image(random, true, cand, par)),
  ];
}

test('pixel bootstrap: point values equal pixelAuroc over all pixels of each model', () => {
  const ims = images(3, 8, 6, 0.6, 0.3);
  const d = pixelAurocDifference(ims, { resamples: 50 });
  const masks = ims.map((i) => i.mask);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  close(
    d.candidate,
    pixelAuroc(
      ims.map((i) => i.candidate),
      masks,
    ),
  );
  close(
    d.parent,
    pixelAuroc(
      ims.map((i) => i.parent),
      masks,
    ),
  );
  close(d.diff, d.candidate - d.parent);
  assert.deepEqual([d.normal, d.masked, d.pixels, d.resamples, d.method], [8, 6, 14 * 256, 50, 'bootstrap-images']);
});

test('pixel bootstrap: heavy ties (quantised maps) and repeated images still match pixelAuroc exactly', () => {
  const q = (m: Float32Array) => m.map((v) => Math.round(v * 4) / 4);
  const base = images(23, 6, 5, 0.6, 0.3).map((i) => ({ ...i, candidate: q(i.candidate), parent: q(i.parent) }));
  const ims = [...base, base[0]!, base[7]!, base[7]!]; // an image drawn more than once counts once per draw
  const d = pixelAurocDifference(ims, { resamples: 20 });
  const masks = ims.map((i) => i.mask);
  assert.equal(
    d.candidate,
    pixelAuroc(
      ims.map((i) => i.candidate),
      masks,
    ),
  );
  assert.equal(
    d.parent,
    pixelAuroc(
      ims.map((i) => i.parent),
      masks,
    ),
  );
});

test('pixel bootstrap: a clearly better candidate has its whole interval above 0', () => {
  const d = pixelAurocDifference(images(5, 12, 10, 1.0, 0.2), { resamples: 300, seed: 7 });
  assert.ok(d.diff > 0.1, JSON.stringify(d));
  assert.ok(d.lo > 0 && d.lo <= d.diff && d.diff <= d.hi, JSON.stringify(d));
});

test('pixel bootstrap: identical maps give exactly 0; equal-quality maps give an interval around 0', () => {
  const same = images(9, 10, 8, 0.5, 0.5).map((i) => ({ ...i, parent: i.candidate }));
  const d0 = pixelAurocDifference(same, { resamples: 100 });
  assert.deepEqual([d0.diff, d0.lo, d0.hi], [0, 0, 0]);
  // Same signal, independent extra noise on the parent only in ranks: the interval straddles 0.
  const random = rng(11);
  const noisy = same.map((i) => ({ ...i, parent: i.candidate.map((v) => v + 0.05 * (random() - 0.5)) }));
  const d = pixelAurocDifference(noisy, { resamples: 300 });
  assert.ok(d.lo < 0 && d.hi > 0 && d.hi - d.lo < 0.05, JSON.stringify(d));
});

test('pixel bootstrap: seeded — same seed, same interval bit for bit; another seed differs', () => {
  const ims = images(13, 10, 8, 0.6, 0.4);
  const a = pixelAurocDifference(ims, { resamples: 200, seed: 42 });
  const b = pixelAurocDifference(ims, { resamples: 200, seed: 42 });
  const c = pixelAurocDifference(ims, { resamples: 200, seed: 43 });
  assert.deepEqual(a, b);
  assert.ok(a.lo !== c.lo || a.hi !== c.hi, 'a different seed draws different resamples');
  assert.equal(a.diff, c.diff, 'the point difference does not depend on the seed');
});

test('pixel bootstrap: needs normal and masked images; lengths must match', () => {
  const ims = images(17, 3, 3, 0.5, 0.5);
  assert.throws(
    () => pixelAurocDifference(ims.slice(0, 3)),
    (e: unknown) => isMetricsError(e, MetricsErrorCodes.SINGLE_CLASS),
  );
  assert.throws(
    () => pixelAurocDifference(ims.slice(3)),
    (e: unknown) => isMetricsError(e, MetricsErrorCodes.SINGLE_CLASS),
  );
  const bad = [...ims.slice(0, 5), { ...ims[5]!, parent: new Float32Array(3) }];
  assert.throws(
    () => pixelAurocDifference(bad),
    (e: unknown) => isMetricsError(e, MetricsErrorCodes.LENGTH_MISMATCH),
  );
});

test('pixel bootstrap: cost of 40 images of 128×128 at 300 resamples (bounded, reported)', { timeout: 120_000 }, () => {
  const random = rng(21);
  const n = 128 * 128;
  const ims: PixelMapPair[] = Array.from({ length: 40 }, (_, k) => {
    const mask = new Uint8Array(n);
    if (k >= 24) mask.fill(1, 50 * 128, 60 * 128);
    const candidate = Float32Array.from({ length: n }, (_, i) => random() + (mask[i] ? 0.5 : 0));
    const parent = Float32Array.from({ length: n }, (_, i) => random() + (mask[i] ? 0.4 : 0));
    return { mask, candidate, parent };
  });
  const t0 = performance.now();
  const d = pixelAurocDifference(ims, { resamples: 300 });
  const s = (performance.now() - t0) / 1000;
  console.log(`pixel bootstrap: ${d.pixels} pixels × 300 resamples in ${s.toFixed(1)} s`);
  assert.ok(d.lo > 0, JSON.stringify(d));
});
