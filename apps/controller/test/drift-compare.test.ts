/**
 * Drift measures on sketches: the same distribution gives PSI ≈ 0 and no shift; a shifted one gives the PSI of its
 * decile shares and the relative median shift; live mass outside the baseline's range still counts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScoreSketch } from '@linewatch/protocol';
import { compareSketches } from '../src/drift/compare.js';

const sketch = (values: number[]) => {
  const s = new ScoreSketch();
  for (const v of values) s.add(v);
  return s;
};
const range = (n: number, from: number, to: number) =>
  Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));

test('same distribution: PSI ≈ 0, no shift', () => {
  const f = compareSketches(sketch(range(1000, 1, 2)), sketch(range(500, 1, 2)));
  assert.ok(f.psi < 0.01, String(f.psi));
  assert.ok(Math.abs(f.medianShift) < 0.03);
  assert.deepEqual([f.baselineFrames, f.liveFrames], [1000, 500]);
});

test('a shifted distribution: PSI over the baseline deciles and the median shift', () => {
  // Live is the upper half of the baseline range: deciles 6–10 get 20 % each instead of 10 %.
  const f = compareSketches(sketch(range(1000, 1, 2)), sketch(range(1000, 1.5, 2)));
  const expected = 5 * (0.2 - 0.1) * Math.log(0.2 / 0.1) + 5 * (1e-4 - 0.1) * Math.log(1e-4 / 0.1);
  assert.ok(Math.abs(f.psi - expected) < 0.15, `${f.psi} vs ${expected}`);
  assert.ok(Math.abs(f.medianShift - (1.75 - 1.5) / 1.5) < 0.03, String(f.medianShift));
  // Entirely outside the baseline's range (a lamp change): all live mass in the last decile.
  const out = compareSketches(sketch(range(1000, 1, 2)), sketch(range(100, 5, 6)));
  assert.ok(out.psi > 3, String(out.psi));
  assert.ok(out.medianShift > 2);
});

test('an empty sketch gives NaN figures', () => {
  assert.ok(Number.isNaN(compareSketches(new ScoreSketch(), sketch([1])).psi));
});
