import { test } from 'node:test';
import assert from 'node:assert/strict';
import { floatToKey, keyToFloat, radixSortKeys } from '../src/index.js';
import { rng } from './helpers.js';

test('float keys preserve order and round-trip', () => {
  const vals = [-Infinity, -1e30, -2.5, -1e-30, 0, 1e-30, 0.5, 3, 1e30, Infinity];
  const keys = vals.map(floatToKey);
  for (let i = 1; i < keys.length; i++) assert.ok(keys[i]! > keys[i - 1]!, `${vals[i]}`);
  for (const v of vals) assert.equal(keyToFloat(floatToKey(v)), Math.fround(v));
  assert.equal(floatToKey(-0), floatToKey(0), '-0 and +0 tie');
});

test('radixSortKeys sorts like a comparison sort and carries the payload', () => {
  const r = rng(11);
  const n = 5000;
  const vals = Float32Array.from({ length: n }, () => (r() - 0.5) * 1e6 * r() ** 8);
  const keys = Uint32Array.from(vals, floatToKey);
  const payload = Uint32Array.from({ length: n }, (_, i) => i);
  radixSortKeys(keys, payload);
  const want = Array.from(vals).sort((a, b) => a - b);
  assert.deepEqual(Array.from(keys, keyToFloat), want);
  for (let i = 0; i < n; i++) assert.equal(vals[payload[i]!], want[i]);
});
