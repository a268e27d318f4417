import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MetricsErrorCodes, auroc, isMetricsError, pixelAuroc, pixelRocCurve, rocCurve } from '../src/index.js';
import { bruteAuroc, rng } from './helpers.js';

const throwsCode = (fn: () => unknown, code: string) =>
  assert.throws(fn, (e: unknown) => isMetricsError(e) && e.code === code);

test('auroc: hand-computed case without ties', () => {
  assert.equal(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  assert.equal(auroc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]), 1);
  assert.equal(auroc([0.9, 0.8, 0.1, 0.2], [0, 0, 1, 1]), 0);
});

test('auroc: ties count as one half', () => {
  // pairs (pos 0.5, neg 0.5) = ½, (pos 0.9, neg 0.5) = 1 → 1.5 / 2
  assert.equal(auroc([0.5, 0.5, 0.9], [0, 1, 1]), 0.75);
  // all-equal scores: every pair is a tie
  assert.equal(auroc([3, 3, 3, 3, 3], [0, 1, 0, 1, 1]), 0.5);
  assert.equal(auroc([1, 2, 2, 3], [false, true, false, true]), 0.875);
});

test('auroc: coded errors for single class, NaN, length mismatch, empty', () => {
  throwsCode(() => auroc([0.1, 0.2], [1, 1]), MetricsErrorCodes.SINGLE_CLASS);
  throwsCode(() => auroc([0.1, 0.2], [0, 0]), MetricsErrorCodes.SINGLE_CLASS);
  throwsCode(() => auroc([0.1, NaN], [0, 1]), MetricsErrorCodes.NON_FINITE);
  throwsCode(() => auroc([0.1, 0.2, 0.3], [0, 1]), MetricsErrorCodes.LENGTH_MISMATCH);
  throwsCode(() => auroc([], []), MetricsErrorCodes.EMPTY);
  throwsCode(() => pixelAuroc(new Float32Array(4), new Uint8Array(4)), MetricsErrorCodes.SINGLE_CLASS);
});

test('auroc: infinities order like any other score', () => {
  assert.equal(auroc([-Infinity, Infinity, 0], [0, 1, 0]), 1);
});

test('rocCurve: points per distinct score, starting at (0,0)', () => {
  const c = rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
  assert.deepEqual(c.thresholds, [Infinity, 0.8, 0.4, 0.35, 0.1]);
  assert.deepEqual(c.tpr, [0, 0.5, 0.5, 1, 1]);
  assert.deepEqual(c.fpr, [0, 0, 0.5, 0.5, 1]);
  const tied = rocCurve([1, 1, 0], [1, 0, 0]);
  assert.deepEqual(tied.fpr, [0, 0.5, 1]);
  assert.deepEqual(tied.tpr, [0, 1, 1]);
});

test('pixelAuroc equals the brute-force definition (float32 radix path, many ties)', () => {
  const r = rng(7);
  for (let trial = 0; trial < 20; trial++) {
    const n = 50 + Math.floor(r() * 300);
    const s = new Float32Array(n);
    const l = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      l[i] = r() < 0.3 ? 1 : 0;
      // coarse quantisation → many ties; negative values and -0 exercise the key mapping
      s[i] = Math.round((r() - 0.5 + l[i]! * 0.3) * 8) / 4;
      if (s[i] === 0 && r() < 0.5) s[i] = -0;
    }
    l[0] = 1;
    l[1] = 0;
    const want = bruteAuroc(s, l);
    assert.ok(Math.abs(pixelAuroc(s, l) - want) < 1e-12, `trial ${trial}`);
    assert.ok(Math.abs(auroc(Array.from(s), l) - want) < 1e-12, `trial ${trial} (float64 path)`);
  }
});

test('pixelAuroc over chunks equals the concatenation', () => {
  const r = rng(3);
  const a = Float32Array.from({ length: 100 }, () => r());
  const b = Float32Array.from({ length: 57 }, () => r());
  const la = Uint8Array.from({ length: 100 }, (_, i) => (a[i]! > 0.6 ? 1 : 0) ^ (i % 7 === 0 ? 1 : 0));
  const lb = Uint8Array.from({ length: 57 }, (_, i) => (b[i]! > 0.4 ? 1 : 0));
  const all = new Float32Array([...a, ...b]);
  const lall = new Uint8Array([...la, ...lb]);
  assert.equal(pixelAuroc([a, b], [la, lb]), pixelAuroc(all, lall));
  throwsCode(() => pixelAuroc([a, b], [la]), MetricsErrorCodes.LENGTH_MISMATCH);
});

const sample = fc
  .array(fc.tuple(fc.integer({ min: -20, max: 20 }), fc.boolean()), { minLength: 2, maxLength: 60 })
  .filter((xs) => xs.some(([, l]) => l) && xs.some(([, l]) => !l));

test('property: AUROC is invariant to strictly increasing transforms', () => {
  fc.assert(
    fc.property(sample, (xs) => {
      const s = xs.map(([v]) => v / 4);
      const l = xs.map(([, b]) => b);
      const base = auroc(s, l);
      assert.ok(
        Math.abs(
          auroc(
            s.map((v) => Math.exp(v) * 3 + 1),
            l,
          ) - base,
        ) < 1e-12,
      );
      assert.ok(
        Math.abs(
          auroc(
            s.map((v) => v * v * v),
            l,
          ) - base,
        ) < 1e-12,
      );
    }),
    { numRuns: 200, seed: 1 },
  );
});

test('property: negating scores gives 1 − AUROC; result matches brute force', () => {
  fc.assert(
    fc.property(sample, (xs) => {
      const s = xs.map(([v]) => v);
      const l = xs.map(([, b]) => (b ? 1 : 0));
      const base = auroc(s, l);
      assert.ok(
        Math.abs(
          auroc(
            s.map((v) => -v),
            l,
          ) -
            (1 - base),
        ) < 1e-12,
      );
      assert.ok(Math.abs(base - bruteAuroc(s, l)) < 1e-12);
    }),
    { numRuns: 200, seed: 2 },
  );
});

test('pixelRocCurve thins to ~maxPoints, stays within 1/maxPoints of the exact curve, ends at (1,1)', () => {
  const r = rng(5);
  const n = 20_000;
  const s = Float32Array.from({ length: n }, () => r());
  const l = Uint8Array.from(s, (v) => (v + (r() - 0.5) * 0.6 > 0.7 ? 1 : 0));
  const exact = rocCurve(s, l);
  const thin = pixelRocCurve(s, l, { maxPoints: 50 });
  assert.ok(thin.fpr.length <= 2 * 50 + 2, `${thin.fpr.length} points`);
  assert.equal(thin.fpr.at(-1), 1);
  assert.equal(thin.tpr.at(-1), 1);
  // every exact point lies within 1/50 (in both axes) of a step of the thinned curve
  let j = 0;
  for (let i = 0; i < exact.fpr.length; i++) {
    while (j + 1 < thin.fpr.length && thin.thresholds[j + 1]! >= exact.thresholds[i]!) j++;
    assert.ok(
      exact.fpr[i]! - thin.fpr[j]! <= 1 / 50 + 1e-12 && exact.tpr[i]! - thin.tpr[j]! <= 1 / 50 + 1e-12,
      `point ${i}`,
    );
  }
  assert.deepEqual(
    rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], { maxPoints: 1e9 }),
    rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]),
  );
  throwsCode(() => rocCurve([0, 1], [0, 1], { maxPoints: 1 }), MetricsErrorCodes.BAD_ARGUMENT);
});
