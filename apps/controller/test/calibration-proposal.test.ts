/**
 * The proposal arithmetic on sketches alone: confirmed defects leave the normal population (so they cannot drag the
 * threshold up), the expected rates are read from the same sketches, the current flag rate counts only windows
 * judged by the newest threshold, and too few normal frames is a refusal that says how many are missing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScoreSketch } from '@linewatch/protocol';
import { MIN_TAIL_FRAMES, propose, requiredFrames } from '../src/calibration/proposal.js';
import type { SketchWindowRow } from '../src/store/calibration-store.js';

function window(values: number[], threshold: number, start: number): SketchWindowRow {
  const s = new ScoreSketch();
  for (const v of values) s.add(v);
  return {
    id: `w${start}`,
    deviceId: 'd',
    line: 'l',
    camera: 'c',
    modelVersion: 'v1',
    start: new Date(start),
    durationMs: 1000,
    threshold,
    frames: values.length,
    flagged: values.filter((v) => v > threshold).length,
    sketch: s.toCounts(),
    frameStats: null,
    receivedAt: new Date(start),
  };
}

// 1000 normal frames at 0.001 … 1.000, plus 50 defects at 10.
const normal = Array.from({ length: 1000 }, (_, i) => (i + 1) / 1000);
const defects = Array.from({ length: 50 }, () => 10);

test('confirmed defects leave the normal population; expected rates come from the same sketches', () => {
  const windows = [window(normal.slice(0, 500), 0.2, 1), window([...normal.slice(500), ...defects], 0.9, 2)];
  const r = propose(windows, defects, 0.02);
  assert.ok(r.ok);
  const f = r.figures;
  assert.equal(f.confirmedExcluded, 50);
  assert.equal(f.normalFrames, 1000);
  assert.equal(f.frames, 1050);
  // At most 20 of the 1000 normal frames above it, and the bound of the bucket holding the 980th value.
  assert.ok(f.proposedThreshold >= 0.98 && f.proposedThreshold <= 0.98 * 1.02, String(f.proposedThreshold));
  assert.ok(f.expectedFar <= 0.02);
  assert.equal(f.expectedFlagRate, (normal.filter((v) => v > f.proposedThreshold).length + 50) / 1050);
  // The newest window was judged by 0.9: its own flag rate, not the first window's.
  assert.equal(f.currentThreshold, 0.9);
  assert.equal(f.currentFlagRate, (100 + 50) / 550);

  // Left in (unreviewed), the defects raise the proposal past the normal scores.
  const unreviewed = propose(windows, [], 0.02);
  assert.ok(unreviewed.ok && unreviewed.figures.proposedThreshold > 1);
});

test('too few normal frames: a refusal with how many there are and how many are needed', () => {
  assert.equal(requiredFrames(0.01), MIN_TAIL_FRAMES * 100);
  const r = propose([window(normal.slice(0, 300), 0.5, 1)], [], 0.01);
  assert.deepEqual(r, { ok: false, normalFrames: 300, requiredFrames: 1000 });
});
