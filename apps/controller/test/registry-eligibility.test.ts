/**
 * Eligibility from the worker's intervals (DeLong / Newcombe, libs/metrics) with a minimum held-out size per class,
 * the decision kept with the version; the same package bytes refused under a new name; a parentless version that
 * every device of its line runs shown as deployed (live) rather than a candidate to approve.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareHeldOut } from '@linewatch/metrics';
import type { HeldOutComparison, ModelVersionBody } from '@linewatch/protocol/http';
import { ManualClock } from '../src/clock.js';
import { isControllerError } from '../src/errors.js';
import { decideEligibility } from '../src/registry/eligibility.js';
import { login, testApp } from './helpers/http.js';
import { provision } from './helpers/mqtt.js';
import { makeKeys, PARENT_METRICS } from './helpers/rollout-fixture.js';
import { stubPackage } from './helpers/sim-agent.js';

const TOL = { auroc: 0.005, falseAlarm: 0.01, minPerClass: 20 };
const PARENT = { version: 'p', build: 1 };

/** n anomalous + n normal items; the candidate's scores = the parent's + shift on anomalies (+ noise). */
function heldOut(anomalous: number, normal: number, shift: number, threshold = 1.0): HeldOutComparison {
  const labels: number[] = [];
  const parent: number[] = [];
  const candidate: number[] = [];
  for (let i = 0; i < anomalous; i++) {
    const s = 0.8 + ((i * 37) % 100) / 100; // 0.8 .. 1.79
    labels.push(1);
    parent.push(s);
    candidate.push(s + shift);
  }
  for (let j = 0; j < normal; j++) {
    const s = ((j * 53) % 100) / 100; // 0 .. 0.99
    labels.push(0);
    parent.push(s);
    candidate.push(s + 0.001 * ((j % 3) - 1));
  }
  return compareHeldOut({ labels, candidate, parent, threshold });
}

const metricsWith = (comparison: HeldOutComparison) => ({
  candidate: { ...PARENT_METRICS, imageAuroc: comparison.imageAuroc!.candidate },
  parent: { ...PARENT_METRICS, imageAuroc: comparison.imageAuroc!.parent },
  comparison,
});

test('eligibility: 17 held-out items are not enough data — eligible null, the interval shown, never "ineligible"', () => {
  const c = heldOut(5, 12, -0.6); // the candidate ranks anomalies clearly lower, but on 5 + 12 items
  const e = decideEligibility({ build: 2, metrics: metricsWith(c) }, 'p', PARENT, TOL);
  assert.equal(e.eligible, null);
  assert.equal(e.decision?.decision, 'not-enough-data');
  assert.match(e.reason, /^not enough data vs p: 5 anomalous and 12 normal held-out items, 20 of each needed/);
  assert.match(e.reason, /image AUROC .* Δ −?-?0\.\d+ \[/);
  assert.equal(e.decision?.anomalous, 5);
  assert.ok(e.decision?.imageAuroc && e.decision.imageAuroc.lo < e.decision.imageAuroc.hi);
});

test('eligibility: with enough items the interval decides — worse is ineligible, equal is eligible', () => {
  const worse = decideEligibility({ build: 2, metrics: metricsWith(heldOut(40, 60, -0.7)) }, 'p', PARENT, TOL);
  assert.equal(worse.eligible, false);
  assert.equal(worse.decision?.imageAuroc?.verdict, 'worse');
  assert.match(worse.reason, /image AUROC is worse than the parent’s beyond its interval/);
  // 0 of 60 false alarms for both still allows a rise of ~6 % (Newcombe): the 1 % margin cannot be shown
  const few = decideEligibility({ build: 2, metrics: metricsWith(heldOut(40, 60, 0)) }, 'p', PARENT, TOL);
  assert.equal(few.eligible, null, few.reason);
  assert.equal(few.decision?.imageAuroc?.verdict, 'not-worse');
  assert.equal(few.decision?.falseAlarm?.verdict, 'not-enough-data');
  assert.match(few.reason, /^not enough data vs p: an interval straddles the tolerated loss/);
  // 0 of 400: the interval's upper end (0.95 %) is inside the margin
  const same = decideEligibility({ build: 2, metrics: metricsWith(heldOut(40, 400, 0)) }, 'p', PARENT, TOL);
  assert.equal(same.eligible, true, same.reason);
  assert.equal(same.decision?.decision, 'eligible');
  assert.equal(same.decision?.falseAlarm?.verdict, 'not-worse');
  // A modest drop the interval cannot rule in or out: not enough data, not a verdict either way.
  const unsure = decideEligibility({ build: 2, metrics: metricsWith(heldOut(25, 25, -0.15)) }, 'p', PARENT, TOL);
  assert.notEqual(unsure.eligible, true);
  // the build rule still applies on top of the intervals
  const low = decideEligibility({ build: 1, metrics: metricsWith(heldOut(40, 400, 0)) }, 'p', PARENT, TOL);
  assert.equal(low.eligible, false);
});

async function setup() {
  const keys = makeKeys();
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const { app, adminPassword } = await testApp({ clock, overrides: { registry: { trustedKeys: [keys.pem] } } });
  const admin = await login(app, 'admin', adminPassword);
  const upload = (tar: Buffer, query: string) =>
    app.inject({
      method: 'POST',
      url: `/api/models?${query}`,
      headers: { ...admin.headers, 'content-type': 'application/octet-stream' },
      payload: tar,
    });
  return { app, admin, keys, clock, upload };
}

test('the decision and its intervals stay with the version (lineage) and come back over HTTP', async () => {
  const { app, admin, keys, upload } = await setup();
  try {
    assert.equal(
      (await upload(stubPackage(keys.privateKey, keys.publicKey, '1.0.0', 1), 'version=v1')).statusCode,
      201,
    );
    const comparison = heldOut(5, 12, -0.6);
    await app.registry.addVersion({
      version: 'v2',
      line: null,
      parentVersion: 'v1',
      jobId: 'j',
      datasetSnapshotId: 'd',
      metrics: metricsWith(comparison),
      threshold: 0.5,
      packageTar: stubPackage(keys.privateKey, keys.publicKey, '1.0.2', 2),
      createdBy: 'worker:w',
    });
    const res = await app.inject({ method: 'GET', url: '/api/models/v2', headers: admin.headers });
    assert.equal(res.statusCode, 200, res.body);
    const m = res.json() as ModelVersionBody;
    assert.equal(m.eligible, null);
    assert.equal(m.status, 'candidate'); // approvable by a human who weighs the interval
    assert.equal(m.metrics?.decision?.decision, 'not-enough-data');
    assert.deepEqual(m.metrics?.comparison, comparison);
    assert.equal(m.metrics?.decision?.imageAuroc?.lo, comparison.imageAuroc?.lo);
  } finally {
    await app.close();
  }
});

test('the same package bytes under a new version name: 409 naming the registered version', async () => {
  const { app, keys, upload } = await setup();
  try {
    const tar = stubPackage(keys.privateKey, keys.publicKey, '1.0.0', 1);
    assert.equal((await upload(tar, 'version=v1&line=line-1')).statusCode, 201);
    assert.equal((await upload(tar, 'version=v1&line=line-1')).statusCode, 200); // same name: idempotent
    const twin = await upload(tar, 'version=v1-again&line=line-1');
    assert.equal(twin.statusCode, 409, twin.body);
    const body = twin.json() as { code: string; message: string };
    assert.equal(body.code, 'LW_CTRL_MODEL_DUPLICATE_PACKAGE');
    assert.match(body.message, /already registered as v1/);
    assert.equal(await app.registry.get('v1-again'), null);
    // through the worker path too (a parent given does not make the same bytes a new model)
    await assert.rejects(
      app.registry.addVersion({
        version: 'v1-job',
        line: 'line-1',
        parentVersion: 'v1',
        jobId: 'j',
        datasetSnapshotId: 'd',
        metrics: null,
        threshold: 0.5,
        packageTar: tar,
        createdBy: 'worker:w',
      }),
      (e: unknown) => isControllerError(e, 'LW_CTRL_MODEL_DUPLICATE_PACKAGE'),
    );
  } finally {
    await app.close();
  }
});

test("the line's first model, run by every device of the line, is listed as deployed with its device count", async () => {
  const { app, admin, keys, clock, upload } = await setup();
  try {
    assert.equal(
      (await upload(stubPackage(keys.privateKey, keys.publicKey, '1.0.0', 1), 'version=v1&line=line-1')).statusCode,
      201,
    );
    const get = async () => {
      const res = await app.inject({ method: 'GET', url: '/api/models/v1', headers: admin.headers });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as ModelVersionBody;
    };
    // No device reports yet: a candidate like any upload.
    assert.equal((await get()).status, 'candidate');
    for (const id of ['d1', 'd2']) await provision(app.ctx.store, id, 'line-1');
    await provision(app.ctx.store, 'other', 'line-2');
    await app.ctx.store.fleet.upsert('d1', { lastSeen: clock.now(), modelVersion: 'v1' }, clock.now());
    await app.ctx.store.fleet.upsert('d2', { lastSeen: clock.now(), modelVersion: 'v0' }, clock.now());
    await app.ctx.store.fleet.upsert('other', { lastSeen: clock.now(), modelVersion: 'x' }, clock.now());
    const half = await get();
    assert.equal(half.status, 'candidate'); // one of two devices: not the line's installed model (yet)
    assert.deepEqual(half.devices, { running: 1, total: 2 });
    await app.ctx.store.fleet.upsert('d2', { lastSeen: clock.now(), modelVersion: 'v1' }, clock.now());
    const list = await app.inject({ method: 'GET', url: '/api/models', headers: admin.headers });
    const v1 = (list.json() as { models: ModelVersionBody[] }).models.find((m) => m.version === 'v1');
    assert.equal(v1?.status, 'deployed');
    assert.deepEqual(v1?.devices, { running: 2, total: 2 }); // line-2's device is not in its scope
    assert.equal((await app.registry.get('v1'))?.status, 'deployed'); // stored, not only shown
  } finally {
    await app.close();
  }
});
