import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MetricsErrorCodes,
  auroc,
  calibrateCounted,
  compareHeldOut,
  delongComponents,
  delongDifference,
  isMetricsError,
  judgeDifference,
  normalQuantile,
  pairedBootstrap,
  pairedRateDifference,
  wilson,
  zFor,
} from '../src/index.js';
import { rng } from './helpers.js';

const close = (a: number, b: number, eps = 1e-9, what = '') =>
  assert.ok(Math.abs(a - b) <= eps, `${what} ${a} vs ${b} (±${eps})`);

test('normalQuantile / zFor: textbook values', () => {
  close(zFor(0.95), 1.959963984540054, 1e-8);
  close(zFor(0.99), 2.5758293035489, 1e-8);
  close(normalQuantile(0.5), 0, 1e-12);
  close(normalQuantile(0.001), -3.090232306167813, 1e-8); // lower tail branch
  assert.throws(
    () => normalQuantile(1),
    (e: unknown) => isMetricsError(e, MetricsErrorCodes.BAD_ARGUMENT),
  );
});

test('wilson: published 95 % intervals', () => {
  // 0 of 10: the "rule of three"-like upper end 0.2775 (Wilson 1927; Newcombe 1998a table I style)
  const a = wilson(0, 10);
  assert.equal(a.lo, 0);
  close(a.hi, 0.2775328, 1e-6);
  // 5 of 10: symmetric around ½
  const b = wilson(5, 10);
  close(b.lo, 0.2365931, 1e-6);
  close(b.hi, 0.7634069, 1e-6);
  // 1 of 20
  const c = wilson(1, 20);
  close(c.lo, 0.0088814, 1e-6);
  close(c.hi, 0.2361312, 1e-6);
  // two frames, both below threshold: "0.000" means anything up to 66 %
  close(wilson(0, 2).hi, 0.6576198, 1e-6);
  assert.throws(
    () => wilson(3, 2),
    (e: unknown) => isMetricsError(e, MetricsErrorCodes.BAD_ARGUMENT),
  );
});

test('pairedRateDifference: identical outcomes give the two Wilson half-widths; a hand-computed mixed table', () => {
  // No item flagged by either: phi = 0 (empty margin), interval = [−u, +u] with u the Wilson upper end of 0/10.
  const none = pairedRateDifference({ first: Array(10).fill(false), second: Array(10).fill(false) });
  assert.equal(none.diff, 0);
  close(none.lo, -0.2775328, 1e-6);
  close(none.hi, 0.2775328, 1e-6);
  // a = 2 both, b = 3 first only, c = 1 second only, d = 14 neither (n = 20): p1 = .25, p2 = .15,
  // phi = (ad − bc − n/2)/√((a+b)(c+d)(a+c)(b+d)) = (28 − 3 − 10)/√(5·15·3·17) = 0.242536,
  // Wilson(5/20) = [.111862, .468701], Wilson(3/20) = [.052361, .360437] →
  // δ = √(.138138² − 2φ·.138138·.210437 + .210437²) = .221943, ε = √(.218701² − 2φ·.218701·.097639 + .097639²) = .216806
  const first = [...Array(2).fill(true), ...Array(3).fill(true), false, ...Array(14).fill(false)];
  const second = [...Array(2).fill(true), ...Array(3).fill(false), true, ...Array(14).fill(false)];
  const r = pairedRateDifference({ first, second });
  close(r.diff, 0.1, 1e-12);
  close(r.lo, -0.1219432, 1e-6);
  close(r.hi, 0.3168056, 1e-6);
  assert.deepEqual([r.first.k, r.second.k, r.n], [5, 3, 20]);
});

test('delong: hand-computed two-model example', () => {
  // model 1: anomalous [0.9, 0.6], normal [0.7, 0.1] → V10 = [1, ½], V01 = [½, 1], AUROC ¾
  // model 2: anomalous [0.8, 0.9], normal [0.2, 0.3] → V10 = [1, 1], V01 = [1, 1], AUROC 1
  // S10₁₁ = S01₁₁ = 0.125, the rest 0 → Var = 0.125/2 + 0.125/2 = 0.125
  const labels = [1, 1, 0, 0];
  const c = delongComponents([0.9, 0.6, 0.7, 0.1], labels);
  assert.deepEqual(c.v10, [1, 0.5]);
  assert.deepEqual(c.v01, [0.5, 1]);
  const d = delongDifference([0.9, 0.6, 0.7, 0.1], [0.8, 0.9, 0.2, 0.3], labels);
  close(d.diff, -0.25, 1e-12);
  close(d.se, Math.sqrt(0.125), 1e-12);
  close(d.lo, -0.25 - 1.959963984540054 * Math.sqrt(0.125), 1e-8);
  close(d.hi, -0.25 + 1.959963984540054 * Math.sqrt(0.125), 1e-8);
});

test('delong: components agree with the O(m·n) definition, ties = ½; AUROC matches auroc()', () => {
  const r = rng(7);
  const labels = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const s = labels.map((l) => Math.round((r() + l * 0.6) * 10) / 10); // coarse: many ties
  const c = delongComponents(s, labels);
  const pos = s.filter((_, i) => labels[i]);
  const neg = s.filter((_, i) => !labels[i]);
  const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
  pos.forEach((x, i) => close(c.v10[i]!, neg.reduce((a, y) => a + psi(x, y), 0) / neg.length, 1e-12, `v10[${i}]`));
  neg.forEach((y, j) => close(c.v01[j]!, pos.reduce((a, x) => a + psi(x, y), 0) / pos.length, 1e-12, `v01[${j}]`));
  close(c.auroc, auroc(s, labels), 1e-12);
  const same = delongDifference(s, s, labels);
  assert.equal(same.diff, 0);
  assert.equal(same.se, 0);
});

test('delong and a seeded paired bootstrap agree on a larger sample; the bootstrap is reproducible by seed', () => {
  const r = rng(11);
  const n = 400;
  const labels = Array.from({ length: n }, (_, i) => (i < 120 ? 1 : 0));
  const base = labels.map((l) => r() + l * 0.8);
  const cand = base.map((x) => x + (r() - 0.5) * 0.4);
  const d = delongDifference(cand, base, labels);
  const stat = (idx: readonly number[]) =>
    auroc(
      idx.map((i) => cand[i]!),
      idx.map((i) => labels[i]!),
    ) -
    auroc(
      idx.map((i) => base[i]!),
      idx.map((i) => labels[i]!),
    );
  const b1 = pairedBootstrap(labels, stat, { resamples: 400, seed: 5 });
  const b2 = pairedBootstrap(labels, stat, { resamples: 400, seed: 5 });
  const b3 = pairedBootstrap(labels, stat, { resamples: 400, seed: 6 });
  assert.deepEqual(b1, b2);
  assert.notDeepEqual([b1.lo, b1.hi], [b3.lo, b3.hi]);
  close(b1.estimate, d.diff, 1e-12);
  // same width to within 35 % (bootstrap percentile vs normal approximation on 400 items)
  const wd = d.hi - d.lo;
  const wb = b1.hi - b1.lo;
  assert.ok(Math.abs(wb - wd) / wd < 0.35, `widths: delong ${wd}, bootstrap ${wb}`);
});

test('judgeDifference: better / not worse / worse / not enough data, both directions', () => {
  assert.equal(judgeDifference({ lo: 0.01, hi: 0.05 }, 0.005, true), 'better');
  assert.equal(judgeDifference({ lo: -0.004, hi: 0.05 }, 0.005, true), 'not-worse');
  assert.equal(judgeDifference({ lo: -0.2, hi: -0.01 }, 0.005, true), 'worse');
  assert.equal(judgeDifference({ lo: -0.2, hi: 0.1 }, 0.005, true), 'not-enough-data');
  // false-alarm rate difference: lower is better
  assert.equal(judgeDifference({ lo: -0.05, hi: -0.01 }, 0.01, false), 'better');
  assert.equal(judgeDifference({ lo: -0.05, hi: 0.009 }, 0.01, false), 'not-worse');
  assert.equal(judgeDifference({ lo: 0.02, hi: 0.2 }, 0.01, false), 'worse');
  assert.equal(judgeDifference({ lo: -0.1, hi: 0.3 }, 0.01, false), 'not-enough-data');
});

test('compareHeldOut: intervals for AUROC and paired false alarms; 17 items are too few to call a loss', () => {
  // 17 items as in the incident: 5 anomalous, 12 normal; the candidate ranks one anomaly lower.
  const labels = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const parent = [9, 8, 7, 6, 5.5, 5, 4, 3, 3, 2, 2, 1, 1, 1, 0.5, 0.5, 0.2];
  const candidate = [9, 8, 7, 6, 3.5, 5, 4, 3, 3, 2, 2, 1, 1, 1, 0.5, 0.5, 0.2];
  const c = compareHeldOut({ labels, candidate, parent, threshold: 4.5 });
  assert.equal(c.anomalous, 5);
  assert.equal(c.normal, 12);
  assert.ok(c.imageAuroc && c.imageAuroc.diff < 0);
  assert.equal(judgeDifference(c.imageAuroc, 0.005, true), 'not-enough-data');
  assert.ok(c.falseAlarm);
  assert.deepEqual([c.falseAlarm.candidate.k, c.falseAlarm.parent.k, c.falseAlarm.n], [1, 1, 12]);
  assert.ok(c.falseAlarm.lo < 0 && c.falseAlarm.hi > 0);
  const onlyNormals = compareHeldOut({ labels: [0, 0], candidate: [1, 2], parent: [1, 2], threshold: 1.5 });
  assert.equal(onlyNormals.imageAuroc, null);
  assert.equal(onlyNormals.falseAlarm?.candidate.k, 1);
});

test('calibrateCounted: refuses two frames with a coded error; reports the false-alarm interval', () => {
  assert.throws(
    () => calibrateCounted([1, 2], { minNormals: 50 }),
    (e: unknown) =>
      isMetricsError(e, MetricsErrorCodes.NOT_ENOUGH_DATA) && /not enough normal frames: 2 of 50/.test(e.message),
  );
  const scores = Array.from({ length: 200 }, (_, i) => i / 10);
  const c = calibrateCounted(scores, { minNormals: 50 });
  close(c.threshold, 19.8005, 1e-9); // type-7 quantile 0.995 of 0..19.9
  assert.equal(c.normals, 200);
  assert.equal(c.falseAlarms, 1);
  assert.equal(c.falseAlarmRate, 0.005);
  assert.deepEqual(c.falseAlarmInterval, wilson(1, 200));
});
