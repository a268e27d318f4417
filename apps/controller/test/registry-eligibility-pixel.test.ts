/**
 * Pixel AUROC decided from the worker's image-level bootstrap interval (like image AUROC from DeLong's): better /
 * not worse / worse within the tolerance, "not enough data" for the pixel part with too few masked held-out images;
 * results without the interval (older workers) keep the point comparison; the decision comes back over HTTP.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { compareHeldOut } from '@linewatch/metrics';
import { JobMetrics, type HeldOutComparison, type ModelVersionBody } from '@linewatch/protocol/http';
import { ManualClock } from '../src/clock.js';
import { decideEligibility } from '../src/registry/eligibility.js';
import { login, testApp } from './helpers/http.js';
import { makeKeys, PARENT_METRICS } from './helpers/rollout-fixture.js';
import { stubPackage } from './helpers/sim-agent.js';

const TOL = { auroc: 0.005, falseAlarm: 0.01, minPerClass: 20 };
const PARENT = { version: 'p', build: 1 };

/** 40 anomalous + 400 normal items with equal scores: the image part is eligible on its own (0 of 400 false alarms). */
function imagePart(): HeldOutComparison {
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < 40; i++) {
    labels.push(1);
    scores.push(1.2 + i / 100);
  }
  for (let j = 0; j < 400; j++) {
    labels.push(0);
    scores.push((j % 100) / 100);
  }
  return compareHeldOut({ labels, candidate: scores, parent: scores, threshold: 1.0 });
}

type PixelInterval = NonNullable<HeldOutComparison['pixelAuroc']>;

function pixel(diff: number, lo: number, hi: number, masked = 30, normal = 400): PixelInterval {
  const parent = 0.85;
  return {
    method: 'bootstrap-images',
    candidate: parent + diff,
    parent,
    diff,
    lo,
    hi,
    resamples: 300,
    seed: 1,
    normal,
    masked,
    pixels: (normal + masked) * 4096,
  };
}

function decide(px: PixelInterval | null | undefined, candPixel = PARENT_METRICS.pixelAuroc) {
  const base = imagePart();
  const comparison: HeldOutComparison = px === undefined ? base : { ...base, pixelAuroc: px };
  const metrics = {
    candidate: { ...PARENT_METRICS, imageAuroc: 1, pixelAuroc: candPixel, n: 440 },
    parent: { ...PARENT_METRICS, imageAuroc: 1, n: 440 },
    comparison,
  };
  return decideEligibility({ build: 2, metrics }, 'p', PARENT, TOL);
}

test('pixel interval: above the parent is better, within the margin not worse — both eligible', () => {
  const better = decide(pixel(0.05, 0.02, 0.08));
  assert.equal(better.eligible, true, better.reason);
  assert.equal(better.decision?.pixelAuroc?.verdict, 'better');
  assert.equal(better.decision?.masked, 30);
  assert.match(better.reason, /pixel AUROC 0\.9000 vs parent 0\.8500: Δ \+0\.0500 \[\+0\.0200, \+0\.0800\]/);
  const same = decide(pixel(0, -0.004, 0.004));
  assert.equal(same.eligible, true, same.reason);
  assert.equal(same.decision?.pixelAuroc?.verdict, 'not-worse');
});

test('pixel interval: below the parent beyond the margin is ineligible; too wide to tell is not enough data', () => {
  const worse = decide(pixel(-0.08, -0.12, -0.04));
  assert.equal(worse.eligible, false, worse.reason);
  assert.equal(worse.decision?.decision, 'ineligible');
  assert.equal(worse.decision?.pixelAuroc?.verdict, 'worse');
  assert.match(worse.reason, /pixel AUROC is worse than the parent’s beyond its interval/);
  const wide = decide(pixel(0, -0.05, 0.05));
  assert.equal(wide.eligible, null, wide.reason);
  assert.equal(wide.decision?.decision, 'not-enough-data');
  assert.equal(wide.decision?.pixelAuroc?.verdict, 'not-enough-data');
});

test('pixel interval: too few masked held-out images → "not enough data" for the pixel part only, not counted', () => {
  const few = decide(pixel(-0.08, -0.12, -0.04, 5));
  assert.equal(few.eligible, true, few.reason); // the image part decides; the pixel verdict does not count
  assert.equal(few.decision?.pixelAuroc?.verdict, 'not-enough-data');
  assert.equal(few.decision?.pixelAuroc?.lo, -0.12, 'the interval is kept for the UI');
  assert.equal(few.decision?.masked, 5);
  assert.match(few.reason, /5 masked anomalous and 400 normal held-out images, 20 of each needed .*not counted/);
  const none = decide(null);
  assert.equal(none.eligible, true, none.reason);
  assert.equal(none.decision?.pixelAuroc, null);
  assert.match(none.reason, /pixel AUROC not comparable/);
});

test('a result without the pixel interval (older worker) keeps the point comparison, and says so', () => {
  const old = decide(undefined, 0.7);
  assert.equal(old.eligible, false, old.reason);
  assert.match(old.reason, /pixelAuroc 0\.7000 < parent 0\.8500 - 0\.005/);
  assert.match(old.reason, /pixel AUROC without an interval \(older worker\): compared as point values/);
  assert.equal(old.decision?.pixelAuroc, undefined);
  const oldOk = decide(undefined);
  assert.equal(oldOk.eligible, true, oldOk.reason);
  // the job-result schema accepts both: old results stay valid
  const metrics = { candidate: PARENT_METRICS, parent: PARENT_METRICS, comparison: imagePart() };
  assert.ok(Value.Check(JobMetrics, metrics));
  assert.ok(
    Value.Check(JobMetrics, { ...metrics, comparison: { ...metrics.comparison, pixelAuroc: pixel(0, -0.01, 0.01) } }),
  );
  assert.ok(!Value.Check(JobMetrics, { ...metrics, comparison: { ...metrics.comparison, pixelAuroc: { diff: 0 } } }));
});

test('the pixel decision and its interval stay with the version and come back over HTTP', async () => {
  const keys = makeKeys();
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const { app, adminPassword } = await testApp({ clock, overrides: { registry: { trustedKeys: [keys.pem] } } });
  try {
    const admin = await login(app, 'admin', adminPassword);
    const first = await app.inject({
      method: 'POST',
      url: '/api/models?version=v1',
      headers: { ...admin.headers, 'content-type': 'application/octet-stream' },
      payload: stubPackage(keys.privateKey, keys.publicKey, '1.0.0', 1),
    });
    assert.equal(first.statusCode, 201, first.body);
    const comparison = { ...imagePart(), pixelAuroc: pixel(-0.08, -0.12, -0.04) };
    await app.registry.addVersion({
      version: 'v2',
      line: null,
      parentVersion: 'v1',
      jobId: 'j',
      datasetSnapshotId: 'd',
      metrics: { candidate: PARENT_METRICS, parent: PARENT_METRICS, comparison },
      threshold: 0.5,
      packageTar: stubPackage(keys.privateKey, keys.publicKey, '1.0.2', 2),
      createdBy: 'worker:w',
    });
    const res = await app.inject({ method: 'GET', url: '/api/models/v2', headers: admin.headers });
    assert.equal(res.statusCode, 200, res.body);
    const m = res.json() as ModelVersionBody;
    assert.equal(m.eligible, false);
    assert.deepEqual(m.metrics?.comparison?.pixelAuroc, comparison.pixelAuroc);
    assert.equal(m.metrics?.decision?.pixelAuroc?.verdict, 'worse');
    assert.deepEqual([m.metrics?.decision?.pixelAuroc?.lo, m.metrics?.decision?.masked], [-0.12, 30]);
  } finally {
    await app.close();
  }
});
