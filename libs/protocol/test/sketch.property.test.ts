/**
 * The score sketch against exact answers: quantiles within the documented relative error of the exact sample
 * quantile of the same rank, thresholdFor's guarantee on the counted scores, merge = sketch of the concatenation, and
 * the wire form round trip. Plus a fuzz case for the `scoreSketch` message: hostile sketches only ever decode to a
 * valid message or a ProtocolError, and never poison a merged sketch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_BUCKET,
  MIN_TRACKED,
  ProtocolError,
  SKETCH_RELATIVE_ERROR,
  ScoreSketch,
  decode,
  encode,
  sketchOf,
} from '../src/index.js';
import { samples } from './samples.js';

const RUNS = 500;
/** Score-like values: mostly a camera's narrow band, sometimes wide (several decades) and exact zeros. */
const scoreArb = fc.oneof(
  fc.double({ min: 0.5, max: 20, noNaN: true }),
  fc.double({ min: 1e-5, max: 1e6, noNaN: true }),
  fc.constant(0),
);
const scoresArb = fc.array(scoreArb, { minLength: 1, maxLength: 400 });

function exactAtRank(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

test('quantile(q) is within the relative error of the exact sample quantile of the same rank', () => {
  fc.assert(
    fc.property(scoresArb, fc.double({ min: 0, max: 1, noNaN: true }), (scores, q) => {
      const s = new ScoreSketch();
      for (const x of scores) s.add(x);
      const exact = exactAtRank(
        [...scores].sort((a, b) => a - b),
        q,
      );
      const est = s.quantile(q);
      if (exact <= MIN_TRACKED) assert.equal(est, 0);
      else assert.ok(Math.abs(est - exact) <= SKETCH_RELATIVE_ERROR * exact * (1 + 1e-9), `q ${q}: ${est} vs ${exact}`);
    }),
    { numRuns: RUNS },
  );
});

test('thresholdFor(f): at most f of the counted scores lie above it, and it is the lowest bucket bound that does so', () => {
  fc.assert(
    fc.property(scoresArb, fc.double({ min: 0, max: 0.5, noNaN: true }), (scores, f) => {
      const s = new ScoreSketch();
      for (const x of scores) s.add(x);
      const t = s.thresholdFor(f);
      const above = scores.filter((x) => x > t).length;
      assert.ok(above <= Math.floor(f * scores.length + 1e-9), `${above} of ${scores.length} above ${t} (f ${f})`);
      // One bucket lower would let more than f through (unless t is already the lowest bound).
      const lower = t / 1.02;
      if (t > MIN_TRACKED * 1.02) {
        const aboveLower = scores.filter((x) => x > lower * (1 + 1e-12)).length;
        assert.ok(aboveLower > Math.floor(f * scores.length + 1e-9), `threshold ${t} is not the lowest`);
      }
      // fractionAbove agrees with the count (no score shares t's bucket above t).
      assert.ok(Math.abs(s.fractionAbove(t) - above / scores.length) < 1e-12);
    }),
    { numRuns: RUNS },
  );
});

test('merge of two sketches = sketch of both score lists; wire form round trips through the message', () => {
  fc.assert(
    fc.property(scoresArb, scoresArb, (a, b) => {
      const sa = new ScoreSketch();
      const sb = new ScoreSketch();
      const both = new ScoreSketch();
      for (const x of a) {
        sa.add(x);
        both.add(x);
      }
      for (const x of b) {
        sb.add(x);
        both.add(x);
      }
      const merged = sketchOf(sa.toCounts(), sb.toCounts());
      assert.deepStrictEqual(merged.toCounts(), both.toCounts());
      assert.equal(merged.total, a.length + b.length);
      const msg = { ...samples.scoreSketch, sketch: both.toCounts() };
      assert.deepStrictEqual(decode('scoreSketch', encode('scoreSketch', msg)), msg);
    }),
    { numRuns: RUNS },
  );
});

test('reset empties the sketch; remove takes back a counted score', () => {
  const s = new ScoreSketch();
  for (const x of [0, 1, 2, 3, 3]) s.add(x);
  assert.equal(s.remove(3), true);
  assert.equal(s.remove(7), false);
  assert.equal(s.total, 4);
  s.reset();
  assert.deepStrictEqual(s.toCounts(), { zero: 0, offset: 0, counts: [] });
  assert.ok(Number.isNaN(s.quantile(0.5)));
});

test('fuzz: hostile scoreSketch payloads → a valid message or a ProtocolError; merging them stays finite', () => {
  const hostile = fc.record({
    zero: fc.oneof(fc.integer({ min: -5, max: 1e6 }), fc.double(), fc.constant('x')),
    offset: fc.oneof(fc.integer({ min: -2000, max: 2000 }), fc.double()),
    counts: fc.array(fc.oneof(fc.nat(1e6), fc.integer({ min: -3, max: -1 }), fc.double()), { maxLength: 40 }),
  });
  fc.assert(
    fc.property(hostile, (sketch) => {
      const json = JSON.stringify({ v: 2, kind: 'scoreSketch', ...samples.scoreSketch, sketch });
      let got;
      try {
        got = decode('scoreSketch', new TextEncoder().encode(json));
      } catch (e) {
        assert.ok(e instanceof ProtocolError, String(e));
        return;
      }
      assert.ok(got.sketch.offset + got.sketch.counts.length - 1 <= MAX_BUCKET);
      const s = sketchOf(got.sketch);
      assert.ok(Number.isFinite(s.total) && s.total >= 0);
    }),
    { numRuns: RUNS },
  );
});
