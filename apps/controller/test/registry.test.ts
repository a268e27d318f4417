/**
 * Registry over HTTP: upload (verified, idempotent, conflicting versions refused), list/get with lineage and
 * eligibility, and the package download — signed short-lived links with Range support, coded refusals.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../src/clock.js';
import { DownloadTokens } from '../src/registry/download-token.js';
import { decideEligibility } from '../src/registry/eligibility.js';
import { parseRange } from '../src/registry/range.js';
import { isControllerError } from '../src/errors.js';
import { login, testApp, userSession } from './helpers/http.js';
import { makeKeys, PARENT_METRICS } from './helpers/rollout-fixture.js';
import { stubPackage } from './helpers/sim-agent.js';

const SECRET = 'registry-test-secret-0123456789';

async function setup() {
  const keys = makeKeys();
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const { app, adminPassword } = await testApp({
    clock,
    overrides: { registry: { trustedKeys: [keys.pem], urlSecret: SECRET, urlTtlS: 60 } },
  });
  const admin = await login(app, 'admin', adminPassword);
  const tokens = new DownloadTokens(SECRET, 60, clock);
  const upload = (tar: Buffer, query: string) =>
    app.inject({
      method: 'POST',
      url: `/api/models?${query}`,
      headers: { ...admin.headers, 'content-type': 'application/octet-stream' },
      payload: tar,
    });
  return { app, admin, keys, clock, tokens, upload };
}

test('upload verifies the package, is idempotent per (version, sha256) and refuses another package under a version', async () => {
  const { app, admin, keys, upload } = await setup();
  try {
    const tar = stubPackage(keys.privateKey, keys.publicKey, '1.0.0', 1);
    const first = await upload(tar, 'line=line-1');
    assert.equal(first.statusCode, 201, first.body);
    const body = first.json() as {
      version: string;
      build: number;
      eligible: boolean | null;
      status: string;
      sha256: string;
    };
    assert.equal(body.version, '1.0.0+1'); // defaults to <manifest version>+<build>
    assert.equal(body.eligible, null);
    assert.equal(body.status, 'candidate');
    assert.equal((await upload(tar, 'line=line-1')).statusCode, 200);
    const other = await upload(stubPackage(keys.privateKey, keys.publicKey, '1.0.0', 2), 'version=1.0.0%2B1');
    assert.equal(other.statusCode, 409);
    assert.equal((other.json() as { code: string }).code, 'LW_CTRL_MODEL_VERSION_TAKEN');
    // Signed by an untrusted key, or corrupted: refused with the package library's reason.
    const stranger = makeKeys();
    const bad = await upload(stubPackage(stranger.privateKey, stranger.publicKey, '1.0.1', 3), 'version=x1');
    assert.equal(bad.statusCode, 422);
    assert.equal((bad.json() as { code: string }).code, 'LW_CTRL_MODEL_PACKAGE_INVALID');
    assert.match((bad.json() as { message: string }).message, /LW_PKG_BAD_SIGNATURE/);
    // The code is said once, not `LW_PKG_BAD_SIGNATURE: LW_PKG_BAD_SIGNATURE: …`.
    assert.equal((bad.json() as { message: string }).message.split('LW_PKG_BAD_SIGNATURE').length, 2);
    const garbage = await upload(Buffer.from('not a tar at all'), 'version=x2');
    assert.equal(garbage.statusCode, 422);
    // Worker path: same version + same bytes is idempotent through addVersion too.
    const again = await app.registry.addVersion({
      version: '1.0.0+1',
      line: 'line-1',
      parentVersion: null,
      jobId: null,
      datasetSnapshotId: null,
      metrics: null,
      threshold: null,
      packageTar: tar,
      createdBy: 'worker:w1',
    });
    assert.equal(again.sha256, body.sha256);
    // Lineage and eligibility of a child, listed for users.
    await app.registry.addVersion({
      version: 'ft-job1',
      line: 'line-1',
      parentVersion: '1.0.0+1',
      jobId: 'job1',
      datasetSnapshotId: 'ds1',
      metrics: { candidate: { ...PARENT_METRICS, pixelAuroc: 0.95 }, parent: PARENT_METRICS },
      threshold: 0.42,
      packageTar: stubPackage(keys.privateKey, keys.publicKey, '1.0.0', 5),
      createdBy: 'worker:w1',
    });
    const list = await app.inject({ method: 'GET', url: '/api/models?line=line-1', headers: admin.headers });
    const models = (
      list.json() as {
        models: Array<{
          version: string;
          parentVersion: string | null;
          datasetSnapshotId: string | null;
          eligible: boolean | null;
        }>;
      }
    ).models;
    assert.deepEqual(
      models.map((m) => m.version),
      ['ft-job1', '1.0.0+1'],
    );
    assert.equal(models[0]!.parentVersion, '1.0.0+1');
    assert.equal(models[0]!.datasetSnapshotId, 'ds1');
    assert.equal(models[0]!.eligible, true);
    const qa = await userSession(app, admin, 'qa-other', 'qa', ['line-9']);
    assert.equal(
      (await app.inject({ method: 'GET', url: '/api/models/ft-job1', headers: qa.headers })).statusCode,
      404,
    );
    assert.equal(
      (
        await upload(tar, 'line=line-1').then(() =>
          app.inject({
            method: 'POST',
            url: '/api/models',
            headers: { ...qa.headers, 'content-type': 'application/octet-stream' },
            payload: tar,
          }),
        )
      ).statusCode,
      403,
    );
  } finally {
    await app.close();
  }
});

test('package download: signed link with Range, coded refusals for bad, foreign and expired links', async () => {
  const { app, admin, keys, clock, tokens, upload } = await setup();
  try {
    const tar = stubPackage(keys.privateKey, keys.publicKey, '1.0.0', 1);
    assert.equal((await upload(tar, 'version=v1')).statusCode, 201);
    assert.equal(
      (await upload(stubPackage(keys.privateKey, keys.publicKey, '1.0.0', 2), 'version=v2')).statusCode,
      201,
    );
    const t = tokens.sign('v1', 'dev-1');
    const url = `/api/models/v1/package?device=${t.device}&exp=${t.exp}&sig=${t.sig}`;
    const full = await app.inject({ method: 'GET', url });
    assert.equal(full.statusCode, 200);
    assert.deepEqual(full.rawPayload, tar);
    assert.equal(full.headers['accept-ranges'], 'bytes');
    const part = await app.inject({ method: 'GET', url, headers: { range: 'bytes=10-19' } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], `bytes 10-19/${tar.length}`);
    assert.deepEqual(part.rawPayload, tar.subarray(10, 20));
    const resume = await app.inject({ method: 'GET', url, headers: { range: `bytes=${tar.length - 7}-` } });
    assert.deepEqual(resume.rawPayload, tar.subarray(tar.length - 7));
    const suffix = await app.inject({ method: 'GET', url, headers: { range: 'bytes=-5' } });
    assert.deepEqual(suffix.rawPayload, tar.subarray(tar.length - 5));
    const beyond = await app.inject({ method: 'GET', url, headers: { range: `bytes=${tar.length}-` } });
    assert.equal(beyond.statusCode, 416);
    assert.equal((beyond.json() as { code: string }).code, 'LW_CTRL_RANGE_NOT_SATISFIABLE');
    assert.equal(beyond.headers['content-range'], `bytes */${tar.length}`);

    const code = async (u: string) => {
      const r = await app.inject({ method: 'GET', url: u });
      return `${r.statusCode} ${(r.json() as { code: string }).code}`;
    };
    assert.equal(await code(url.replace(/sig=[^&]+/, 'sig=AAAA')), '403 LW_CTRL_DOWNLOAD_TOKEN_INVALID');
    assert.equal(await code(url.replace('device=dev-1', 'device=dev-2')), '403 LW_CTRL_DOWNLOAD_TOKEN_INVALID');
    assert.equal(await code(url.replace('/v1/', '/v2/')), '403 LW_CTRL_DOWNLOAD_TOKEN_INVALID');
    assert.equal(await code(url.replace(/&sig=[^&]+/, '')), '403 LW_CTRL_DOWNLOAD_TOKEN_INVALID');
    assert.equal(await code(url.replace(/exp=\d+/, `exp=${t.exp + 3600}`)), '403 LW_CTRL_DOWNLOAD_TOKEN_INVALID');
    clock.advance(61_000);
    assert.equal(await code(url), '403 LW_CTRL_DOWNLOAD_TOKEN_EXPIRED');
    // Without a link: a session works, nothing else does.
    assert.equal(await code('/api/models/v1/package'), '401 LW_CTRL_UNAUTHENTICATED');
    const s = await app.inject({ method: 'GET', url: '/api/models/v1/package', headers: admin.headers });
    assert.equal(s.statusCode, 200);
    assert.equal(
      (await app.inject({ method: 'GET', url: '/api/models/nope/package', headers: admin.headers })).statusCode,
      404,
    );
  } finally {
    await app.close();
  }
});

test('eligibility compares every held-out metric with tolerances and says why', () => {
  const tol = { auroc: 0.005, falseAlarm: 0.01, minPerClass: 20 };
  const parent = { version: 'p', build: 1 };
  const m = (c: Partial<typeof PARENT_METRICS>) => ({ candidate: { ...PARENT_METRICS, ...c }, parent: PARENT_METRICS });
  assert.equal(decideEligibility({ build: 2, metrics: m({}) }, 'p', parent, tol).eligible, true);
  assert.equal(decideEligibility({ build: 2, metrics: m({ imageAuroc: 0.896 }) }, 'p', parent, tol).eligible, true);
  const worse = decideEligibility(
    { build: 2, metrics: m({ imageAuroc: 0.85, falseAlarmRate: 0.2 }) },
    'p',
    parent,
    tol,
  );
  assert.equal(worse.eligible, false);
  assert.match(worse.reason, /imageAuroc 0\.8500 < parent 0\.9000/);
  assert.match(worse.reason, /falseAlarmRate 0\.2000 > parent 0\.0500/);
  assert.equal(decideEligibility({ build: 2, metrics: m({ pixelAuroc: null }) }, 'p', parent, tol).eligible, false);
  assert.equal(decideEligibility({ build: 2, metrics: null }, 'p', parent, tol).eligible, false);
  assert.equal(decideEligibility({ build: 2, metrics: m({}) }, 'p', null, tol).eligible, false);
  assert.equal(decideEligibility({ build: 2, metrics: null }, null, null, tol).eligible, null);
});

test('parseRange: single ranges, suffixes, and coded refusals', () => {
  assert.deepEqual(parseRange(undefined, 100), { kind: 'full' });
  assert.deepEqual(parseRange('bytes=0-9', 100), { kind: 'partial', start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-200', 100), { kind: 'partial', start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { kind: 'partial', start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=0-1,5-6', 100), { kind: 'full' });
  for (const bad of ['bytes=100-', 'bytes=5-1', 'items=0-1', 'bytes=-0', 'bytes=-']) {
    assert.throws(
      () => parseRange(bad, 100),
      (e: unknown) => isControllerError(e, 'LW_CTRL_RANGE_NOT_SATISFIABLE'),
      bad,
    );
  }
});

test('rollout policies: fleet and line overrides merge over the defaults; bad keys and values are refused', async () => {
  const { app, admin } = await setup();
  try {
    const put = (scope: string, body: unknown) =>
      app.inject({
        method: 'PUT',
        url: `/api/rollout-policies/${scope}`,
        headers: admin.headers,
        payload: body as object,
      });
    assert.equal((await put('*', { observeS: 60, canaryDevices: 2 })).statusCode, 200);
    const line = await put('line-1', { observeS: 10 });
    assert.equal(line.statusCode, 200, line.body);
    const eff = (line.json() as { effective: { observeS: number; canaryDevices: number; minFrames: number } })
      .effective;
    assert.deepEqual([eff.observeS, eff.canaryDevices, eff.minFrames], [10, 2, 500]); // line ← fleet ← default
    const other = await app.inject({ method: 'GET', url: '/api/rollout-policies/line-2', headers: admin.headers });
    assert.equal((other.json() as { effective: { observeS: number } }).effective.observeS, 60);
    for (const bad of [{ observeSeconds: 1 }, { minFpsRatio: 3 }, { shadow: { durationS: 0, minFrames: 1 } }]) {
      const res = await put('line-1', bad);
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
      assert.equal((res.json() as { code: string }).code, 'LW_CTRL_ROLLOUT_POLICY_INVALID');
    }
    const qa = await userSession(app, admin, 'qa-pol', 'qa', ['line-1']);
    assert.equal(
      (await app.inject({ method: 'PUT', url: '/api/rollout-policies/line-1', headers: qa.headers, payload: {} }))
        .statusCode,
      403,
    );
    // Without MQTT there is no engine: starting a rollout says so with a code.
    const start = await app.inject({
      method: 'POST',
      url: '/api/rollouts',
      headers: admin.headers,
      payload: { version: 'nope' },
    });
    assert.equal((start.json() as { code: string }).code, 'LW_CTRL_ROLLOUT_STATE');
  } finally {
    await app.close();
  }
});
