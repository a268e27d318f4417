/**
 * Golden values of `preprocessInto` on a fixed synthetic image. If this fails, preprocessing now gives other inputs
 * to every model: update the values below AND bump PREPROCESS_REVISION, so feature caches built from the old
 * output are not reused (the trainer keys its cache on it). Float-rounding changes stay inside the tolerances.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSurface, preprocessInto, PREPROCESS_REVISION } from '../src/index.js';

const GOLDEN = {
  revision: 1,
  cases: [
    {
      resize: 'antialias',
      fit: 'letterbox',
      sum: -985.8782,
      weighted: -48156.691,
      at: [
        [0, -0.33989],
        [1234, -0.2873],
        [5000, 0.5868],
      ],
    },
    {
      resize: 'bilinear',
      fit: 'stretch',
      sum: -944.2482,
      weighted: -43651.571,
      at: [
        [0, -0.57244],
        [1234, -0.02367],
        [5000, 0.89919],
      ],
    },
  ],
} as const;

test('preprocessing output matches its golden values for PREPROCESS_REVISION', () => {
  assert.equal(PREPROCESS_REVISION, GOLDEN.revision, 'bumped the revision: record the new golden values with it');
  const img = generateSurface({ seed: 2026, width: 203, height: 131, texture: 'brushed', defect: 'scratch' }).image;
  for (const c of GOLDEN.cases) {
    const out = new Float32Array(3 * 48 * 40);
    preprocessInto(out, img, {
      inputWidth: 40,
      inputHeight: 48,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      scale: 1 / 255,
      channelOrder: 'rgb',
      layout: 'nchw',
      resize: c.resize,
      fit: c.fit,
    });
    let sum = 0,
      weighted = 0;
    for (let i = 0; i < out.length; i++) {
      sum += out[i]!;
      weighted += out[i]! * ((i % 97) + 1);
    }
    const what = `${c.resize}/${c.fit}: preprocessing changed; update GOLDEN and bump PREPROCESS_REVISION`;
    assert.ok(Math.abs(sum - c.sum) < 1e-2, `${what} (sum ${sum})`);
    assert.ok(Math.abs(weighted - c.weighted) < 0.5, `${what} (weighted ${weighted})`);
    for (const [i, v] of c.at) assert.ok(Math.abs(out[i]! - v) < 1e-4, `${what} (out[${i}] ${out[i]})`);
  }
});
