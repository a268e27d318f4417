import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SampleResult } from '../eval/evaluate.js';
import { heldOutByClass } from './heldout-classes.js';

const result = (label: 0 | 1, defectType: string, score: number): SampleResult => ({
  sample: { path: `${defectType}-${score}.png`, maskPath: null, label, defectType, source: 'manifest' },
  label,
  score,
  pixels: null,
  imagePixels: null,
});

test('held-out metrics per defect class: each class against all normals', () => {
  const results = [
    result(0, 'good', 0.1),
    result(0, 'good', 0.3),
    result(0, 'good', 0.5),
    result(1, 'scratch', 0.9), // above every normal
    result(1, 'scratch', 0.8),
    result(1, 'dent', 0.2), // above one normal of three: AUROC 1/3
    result(1, 'img', 0.6),
  ];
  assert.deepEqual(heldOutByClass(results), [
    { defectType: 'dent', n: 1, imageAuroc: 1 / 3, pixelAuroc: null },
    { defectType: 'img', n: 1, imageAuroc: 1, pixelAuroc: null },
    { defectType: 'scratch', n: 2, imageAuroc: 1, pixelAuroc: null },
  ]);
  assert.deepEqual(heldOutByClass(results.filter((r) => r.label === 0)), []);
});
