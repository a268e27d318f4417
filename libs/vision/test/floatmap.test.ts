import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VisionErrorCodes, avgPool, createMap, imageScore, resizeMap } from '../src/index.js';
import { throwsCode } from './helpers.js';

test('resizeMap: half-pixel and align-corners sampling', () => {
  const m = createMap(2, 1, new Float32Array([0, 1]));
  assert.deepEqual(Array.from(resizeMap(m, 4, 1).data), [0, 0.25, 0.75, 1]);
  assert.deepEqual(Array.from(resizeMap(m, 3, 1, { alignCorners: true }).data), [0, 0.5, 1]);
  const sq = createMap(2, 2, new Float32Array([0, 1, 2, 3]));
  const up = resizeMap(sq, 3, 3, { alignCorners: true });
  assert.deepEqual(Array.from(up.data), [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3]);
  throwsCode(() => resizeMap(sq, 0, 3), VisionErrorCodes.BAD_ARGUMENT);
});

test('avgPool (valid, stride) and imageScore', () => {
  const m = createMap(3, 3, new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const p = avgPool(m, 2);
  assert.equal(p.width, 2);
  assert.deepEqual(Array.from(p.data), [3, 4, 6, 7]);
  const s = avgPool(m, 2, { stride: 2 });
  assert.deepEqual(Array.from(s.data), [3]);
  assert.deepEqual(Array.from(avgPool(m, 10).data), [5]);
  // a single hot pixel is damped by pooling; a hot 2×2 patch is not
  const spike = createMap(4, 4);
  spike.data[5] = 8;
  assert.equal(imageScore(spike), 8);
  assert.equal(imageScore(spike, 2), 2);
  throwsCode(() => avgPool(m, 0), VisionErrorCodes.BAD_ARGUMENT);
});
