import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsErrorCodes, calibrateThreshold, f1Max, isMetricsError, pixelF1Max, quantile } from '../src/index.js';

const throwsCode = (fn: () => unknown, code: string) =>
  assert.throws(fn, (e: unknown) => isMetricsError(e) && e.code === code);

test('f1Max: hand-computed', () => {
  // thresholds 0.8: F1 2/3; 0.4: 1/2; 0.35: 4/5; 0.1: 2/3
  const r = f1Max([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
  assert.ok(Math.abs(r.f1 - 0.8) < 1e-12);
  assert.equal(r.threshold, 0.35);
  assert.ok(Math.abs(r.precision - 2 / 3) < 1e-12);
  assert.equal(r.recall, 1);
});

test('f1Max: all-equal scores give one threshold; ties stay together', () => {
  const r = f1Max([2, 2, 2, 2], [1, 0, 0, 1]);
  assert.equal(r.threshold, 2);
  assert.ok(Math.abs(r.f1 - 2 / 3) < 1e-12);
  throwsCode(() => f1Max([1, 2], [0, 0]), MetricsErrorCodes.SINGLE_CLASS);
});

test('pixelF1Max agrees with f1Max', () => {
  const s = new Float32Array([0.25, 0.5, 0.5, 0.75, 1, 0]);
  const l = new Uint8Array([0, 1, 0, 1, 1, 0]);
  assert.deepEqual(
    pixelF1Max([s.subarray(0, 3), s.subarray(3)], [l.subarray(0, 3), l.subarray(3)]),
    f1Max(Array.from(s), l),
  );
});

test('quantile: linear interpolation between order statistics (numpy "linear")', () => {
  assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
  assert.equal(quantile([4, 1, 3, 2], 0), 1);
  assert.equal(quantile([4, 1, 3, 2], 1), 4);
  assert.equal(quantile([7], 0.3), 7);
  const hundred = Array.from({ length: 101 }, (_, i) => i);
  assert.ok(Math.abs(quantile(hundred, 0.995) - 99.5) < 1e-9);
  throwsCode(() => quantile([], 0.5), MetricsErrorCodes.EMPTY);
  throwsCode(() => quantile([1], 1.5), MetricsErrorCodes.BAD_ARGUMENT);
});

test('calibrateThreshold: default 99.5th percentile, optional margin', () => {
  const normals = Array.from({ length: 201 }, (_, i) => i / 200); // 0..1 step 0.005
  assert.ok(Math.abs(calibrateThreshold(normals) - 0.995) < 1e-12);
  assert.ok(Math.abs(calibrateThreshold(normals, { quantile: 0.5, margin: 2 }) - 1) < 1e-12);
  throwsCode(() => calibrateThreshold(normals, { margin: 0 }), MetricsErrorCodes.BAD_ARGUMENT);
});
