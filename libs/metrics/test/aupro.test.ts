import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MapWithMask } from '../src/index.js';
import { MetricsErrorCodes, aupro, isMetricsError, labelComponents, proCurve } from '../src/index.js';
import { rng } from './helpers.js';

const throwsCode = (fn: () => unknown, code: string) =>
  assert.throws(fn, (e: unknown) => isMetricsError(e) && e.code === code);

test('labelComponents uses 8-connectivity', () => {
  // a diagonal line of 3 pixels is one region; the pixel at the bottom-left is its own region
  const mask = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0];
  const c = labelComponents(mask, 4, 4);
  assert.equal(c.count, 2);
  assert.deepEqual(c.sizes, [0, 3, 1]);
  assert.equal(c.labels[0], c.labels[5]);
  assert.equal(c.labels[10], c.labels[0]);
  assert.notEqual(c.labels[12], c.labels[0]);
});

test('aupro: hand-computed 1×4 example', () => {
  // region = pixels 0,1 (size 2); normals: 0.5 and 0.1.
  // curve: (0,0) → (0,0.5) @0.9 → (0.5,0.5) @0.5 → (0.5,1) @0.2 → (1,1) @0.1
  const s: MapWithMask = {
    scores: new Float32Array([0.9, 0.2, 0.5, 0.1]),
    mask: new Uint8Array([1, 1, 0, 0]),
    width: 4,
    height: 1,
  };
  assert.ok(Math.abs(aupro([s]) - 0.5) < 1e-12); // 0.3·0.5 / 0.3
  assert.ok(Math.abs(aupro([s], { maxFpr: 1 }) - 0.75) < 1e-12);
  const c = proCurve([s]);
  assert.deepEqual(c.fpr, [0, 0, 0.5, 0.5, 1]);
  assert.deepEqual(c.pro, [0, 0.5, 0.5, 1, 1]);
});

test('aupro: all-equal scores give the chance line (0.15 at FPR 0.3)', () => {
  // one tied group: (0,0) → (1,1); PRO at FPR 0.3 is 0.3, area 0.045, normalised 0.15
  const s: MapWithMask = {
    scores: new Float32Array(9).fill(0.5),
    mask: new Uint8Array([0, 1, 1, 0, 0, 0, 0, 0, 1]),
    width: 3,
    height: 3,
  };
  assert.ok(Math.abs(aupro([s]) - 0.15) < 1e-12);
  assert.ok(Math.abs(aupro([s], { maxFpr: 1 }) - 0.5) < 1e-12);
});

test('aupro: regions are averaged with equal weight regardless of size', () => {
  // big region (3 px) fully detected at the top score; small region (1 px, score 0.5) only found after 3 of 4
  // normals (score 1) fire, i.e. at FPR 0.75 > 0.3. So PRO = 0.5 on the whole integration range.
  const scores = new Float32Array([9, 9, 9, 0, 1, 1, 1, 0.5]);
  const mask = new Uint8Array([1, 1, 1, 0, 0, 0, 0, 1]);
  const v = aupro([{ scores, mask, width: 8, height: 1 }]);
  assert.ok(Math.abs(v - 0.5) < 1e-12, String(v));
});

test('aupro: perfect separation scores 1, normal-only images count toward FPR', () => {
  const a: MapWithMask = {
    scores: new Float32Array([5, 5, 0, 0]),
    mask: new Uint8Array([255, 255, 0, 0]),
    width: 2,
    height: 2,
  };
  const b: MapWithMask = { scores: new Float32Array([1, 0, 0, 0]), mask: new Uint8Array(4), width: 2, height: 2 };
  assert.equal(aupro([a, b]), 1);
});

/** Reference: evaluate FPR and PRO at every distinct threshold directly, then integrate with interpolation. */
function referenceAupro(samples: MapWithMask[], maxFpr: number): number {
  const comps = samples.map((s) => labelComponents(s.mask, s.width, s.height));
  const thresholds = [...new Set(samples.flatMap((s) => Array.from(s.scores)))].sort((a, b) => b - a);
  const normals = samples.reduce((n, s) => n + s.mask.filter((m) => m === 0).length, 0);
  const pts: [number, number][] = [[0, 0]];
  for (const t of thresholds) {
    let fp = 0;
    const overlaps: number[] = [];
    samples.forEach((s, k) => {
      const c = comps[k]!;
      const hit = new Array<number>(c.count + 1).fill(0);
      s.scores.forEach((v, p) => {
        if (v < t) return;
        if (c.labels[p] === 0) fp++;
        else hit[c.labels[p]!]!++;
      });
      for (let id = 1; id <= c.count; id++) overlaps.push(hit[id]! / c.sizes[id]!);
    });
    pts.push([fp / normals, overlaps.reduce((a, b) => a + b, 0) / overlaps.length]);
  }
  let area = 0;
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1]!;
    const [x1, y1] = pts[i]!;
    if (x1 >= maxFpr) {
      const y = x1 === x0 ? y1 : y0 + ((y1 - y0) * (maxFpr - x0)) / (x1 - x0);
      return (area + ((maxFpr - x0) * (y0 + y)) / 2) / maxFpr;
    }
    area += ((x1 - x0) * (y0 + y1)) / 2;
  }
  return area / maxFpr;
}

test('aupro matches a direct per-threshold reference on random blobs', () => {
  const r = rng(21);
  for (let trial = 0; trial < 12; trial++) {
    const samples: MapWithMask[] = [];
    for (let k = 0; k < 3; k++) {
      const w = 6 + Math.floor(r() * 6);
      const h = 5 + Math.floor(r() * 6);
      const mask = new Uint8Array(w * h);
      const scores = new Float32Array(w * h);
      for (let p = 0; p < w * h; p++) {
        mask[p] = k > 0 && r() < 0.2 ? 1 : 0;
        scores[p] = Math.round((r() + mask[p]! * 0.4) * 10) / 10; // ties on purpose
      }
      samples.push({ scores, mask, width: w, height: h });
    }
    if (samples.every((s) => s.mask.every((m) => m === 0))) continue;
    for (const maxFpr of [0.3, 1, 0.05]) {
      const got = aupro(samples, { maxFpr });
      const want = referenceAupro(samples, maxFpr);
      assert.ok(Math.abs(got - want) < 1e-9, `trial ${trial} maxFpr ${maxFpr}: ${got} vs ${want}`);
    }
  }
});

test('aupro: coded errors', () => {
  const normal: MapWithMask = { scores: new Float32Array(4), mask: new Uint8Array(4), width: 2, height: 2 };
  throwsCode(() => aupro([normal]), MetricsErrorCodes.SINGLE_CLASS);
  throwsCode(() => aupro([]), MetricsErrorCodes.EMPTY);
  throwsCode(() => aupro([{ ...normal, width: 3 }]), MetricsErrorCodes.LENGTH_MISMATCH);
  throwsCode(
    () => aupro([{ ...normal, mask: new Uint8Array([1, 0, 0, 0]) }], { maxFpr: 0 }),
    MetricsErrorCodes.BAD_ARGUMENT,
  );
  throwsCode(
    () => aupro([{ ...normal, scores: new Float32Array([NaN, 0, 0, 0]), mask: new Uint8Array([1, 0, 0, 0]) }]),
    MetricsErrorCodes.NON_FINITE,
  );
});
