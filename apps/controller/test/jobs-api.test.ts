import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, test } from 'node:test';
import type { DatasetManifest, JobView, TrainingLineView } from '@linewatch/protocol/http';
import type { App } from '../src/app.js';
import { ManualClock } from '../src/clock.js';
import type { ConfigInput } from '../src/config.js';
import { ctrlError } from '../src/errors.js';
import { login, testApp, userSession, type Session } from './helpers/http.js';
import { MemoryModels, WORKER_TOKEN, claimOf, many, seedEvents, workerClient } from './helpers/jobs.js';

const LEASE_MS = 10_000;
const open: App[] = [];
afterEach(async () => {
  while (open.length) await open.pop()?.close();
});

async function setup(jobs: ConfigInput['jobs'] = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
  const models = new MemoryModels();
  models.live.set('line-1', 'base-1');
  models.packages.set('base-1', Buffer.from('parent package tar'));
  const t = await testApp({
    clock,
    jobModels: models,
    overrides: { jobs: { workerToken: WORKER_TOKEN, leaseMs: LEASE_MS, autoTriggerMinMasks: null, ...jobs } },
  });
  open.push(t.app);
  const admin = await login(t.app, 'admin', t.adminPassword);
  return { app: t.app, clock, models, admin, worker: workerClient(t.app) };
}

const createJob = (app: App, admin: Session, line = 'line-1') =>
  app.inject({ method: 'POST', url: '/api/jobs', headers: admin.headers, payload: { line } });

async function createdJob(app: App, admin: Session, line = 'line-1'): Promise<JobView> {
  const res = await createJob(app, admin, line);
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as JobView;
}

const getJob = async (app: App, admin: Session, id: string): Promise<JobView> => {
  const res = await app.inject({ method: 'GET', url: `/api/jobs/${id}`, headers: { cookie: admin.cookie } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as JobView;
};

const code = (res: { json(): unknown }) => (res.json() as { code: string }).code;

test('admin creates a job: snapshot of the line with lineage; one open job per line; QA may not; coded refusals', async () => {
  const { app, admin, models } = await setup();
  await seedEvents(app, [
    ...many(6, { line: 'line-1', label: 'confirmed', mask: true }),
    ...many(4, { line: 'line-1', label: 'confirmed' }),
    ...many(8, { line: 'line-1', label: 'rejected' }),
    ...many(5, { line: 'line-1', label: 'pending' }),
    ...many(3, { line: 'line-2', label: 'confirmed', mask: true }),
  ]);
  const job = await createdJob(app, admin);
  assert.equal(job.status, 'queued');
  assert.equal(job.parentVersion, 'base-1');
  assert.equal(job.targetVersion, `ft-${job.id}`);
  assert.equal(job.trigger, 'admin:admin');
  const ds = await app.inject({
    method: 'GET',
    url: `/api/datasets/${job.datasetSnapshotId}`,
    headers: { cookie: admin.cookie },
  });
  assert.equal(ds.statusCode, 200, ds.body);
  const { counts, line } = ds.json() as {
    counts: { train: Record<string, number>; heldout: Record<string, number> };
    line: string;
  };
  assert.equal(line, 'line-1');
  const total = (k: string) => (counts.train[k] ?? 0) + (counts.heldout[k] ?? 0);
  assert.deepEqual([total('px'), total('img'), total('normal')], [6, 4, 8], 'pending events and other lines excluded');
  assert.deepEqual([total('rejected'), total('sampled')], [8, 0], 'the normals by origin: all rejected false alarms');
  for (const k of ['px', 'img', 'normal']) assert.ok((counts.heldout[k] ?? 0) >= 1, `held out ${k}`);
  assert.deepEqual(job.datasetCounts, counts);
  assert.deepEqual((await getJob(app, admin, job.id)).datasetCounts, counts);

  const again = await createJob(app, admin);
  assert.equal(again.statusCode, 409);
  assert.equal(code(again), 'LW_CTRL_JOB_OPEN');

  const qa = await userSession(app, admin, 'qa1', 'qa', ['line-1']);
  const byQa = await createJob(app, qa, 'line-2');
  assert.equal(byQa.statusCode, 403);
  const noParent = await createJob(app, admin, 'line-2');
  assert.equal(code(noParent), 'LW_CTRL_JOB_NO_PARENT');
  models.live.set('line-3', 'base-1');
  await seedEvents(app, many(3, { line: 'line-3', label: 'rejected' }));
  const noDefects = await createJob(app, admin, 'line-3');
  assert.equal(noDefects.statusCode, 422);
  assert.equal(code(noDefects), 'LW_CTRL_JOB_NO_DATA');

  // QA sees jobs only on its lines.
  const list = await app.inject({ method: 'GET', url: '/api/jobs', headers: { cookie: qa.cookie } });
  assert.deepEqual(
    (list.json() as { jobs: JobView[] }).jobs.map((j) => j.id),
    [job.id],
  );
  const qa2 = await userSession(app, admin, 'qa2', 'qa', ['line-2']);
  const hidden = await app.inject({ method: 'GET', url: `/api/jobs/${job.id}`, headers: { cookie: qa2.cookie } });
  assert.equal(hidden.statusCode, 404);
});

test('worker API: no token, wrong token or a session cookie → 401; no token configured → 401 for everyone', async () => {
  const { app, admin } = await setup();
  const url = '/api/worker/claim';
  const payload = { workerId: 'w1' };
  const noToken = await app.inject({ method: 'POST', url, payload });
  assert.equal(noToken.statusCode, 401);
  assert.equal(code(noToken), 'LW_CTRL_UNAUTHENTICATED');
  const wrong = await app.inject({
    method: 'POST',
    url,
    payload,
    headers: { authorization: `Bearer ${WORKER_TOKEN}x` },
  });
  assert.equal(wrong.statusCode, 401);
  const basic = await app.inject({ method: 'POST', url, payload, headers: { authorization: `Basic ${WORKER_TOKEN}` } });
  assert.equal(basic.statusCode, 401);
  const session = await app.inject({ method: 'POST', url, payload, headers: admin.headers });
  assert.equal(session.statusCode, 401, 'a session is not a worker');
  const ok = await workerClient(app).claim('w1');
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), { claim: null });
  // ...and the worker token opens no session routes.
  const jobs = await app.inject({
    method: 'GET',
    url: '/api/jobs',
    headers: { authorization: `Bearer ${WORKER_TOKEN}` },
  });
  assert.equal(jobs.statusCode, 401);

  const t = await testApp({ jobModels: new MemoryModels() });
  open.push(t.app);
  const disabled = await workerClient(t.app).claim('w1');
  assert.equal(disabled.statusCode, 401);
  assert.match((disabled.json() as { message: string }).message, /disabled/);
});

test('claim → heartbeat (live progress) → manifest, files, parent → upload → complete; complete is idempotent', async () => {
  const { app, admin, models, worker } = await setup();
  const ids = await seedEvents(app, [
    ...many(3, { line: 'line-1', label: 'confirmed', mask: true }),
    ...many(2, { line: 'line-1', label: 'confirmed' }),
    ...many(3, { line: 'line-1', label: 'rejected' }),
  ]);
  const job = await createdJob(app, admin);
  const c = claimOf(await worker.claim('w1'));
  assert.equal(c.job.id, job.id);
  assert.equal(c.job.status, 'claimed');
  assert.equal(c.job.attempt, 1);
  assert.deepEqual((await worker.claim('w2')).json(), { claim: null }, 'one holder at a time');

  const hb = await worker.heartbeat(job.id, c.leaseId);
  assert.equal(hb.statusCode, 200, hb.body);
  const seen = await getJob(app, admin, job.id);
  assert.equal(seen.status, 'running');
  assert.equal(seen.leaseOwner, 'w1');
  assert.deepEqual(seen.progress, { phase: 'train', epoch: 1, epochs: 4, loss: 0.5, etaS: 30 });

  const man = await worker.get(c.manifestUrl);
  assert.equal(man.statusCode, 200, man.body);
  const manifest = man.json() as DatasetManifest;
  assert.equal(manifest.items.length, 8);
  assert.deepEqual(manifest.items.map((i) => i.id).sort(), [...ids].sort());
  for (const item of manifest.items) {
    assert.equal(item.label, item.kind === 'normal' ? 0 : 1);
    assert.equal(item.maskUrl !== null, item.kind === 'px');
    assert.equal(item.line, 'line-1');
    const img = await worker.get(item.imageUrl);
    assert.equal(img.statusCode, 200);
    assert.equal(img.headers['content-type'], 'image/jpeg');
    assert.equal(createHash('sha256').update(img.rawPayload).digest('hex'), item.imageSha256);
    if (item.maskUrl) {
      const m = await worker.get(item.maskUrl);
      assert.equal(m.statusCode, 200);
      assert.equal(createHash('sha256').update(m.rawPayload).digest('hex'), item.maskSha256);
    }
  }
  // The snapshot is immutable: a mask painted afterwards does not change it.
  const px = manifest.items.find((i) => i.kind === 'px')!;
  const newMask = await app.ctx.files.put(Buffer.from('a different mask'));
  await app.ctx.store.events.saveMask({
    eventId: px.id,
    ref: newMask,
    width: 32,
    height: 24,
    authorId: 'x',
    createdAt: new Date(),
  });
  const again = (await worker.get(c.manifestUrl)).json() as DatasetManifest;
  assert.equal(again.items.find((i) => i.id === px.id)?.maskSha256, px.maskSha256);

  const parent = await worker.get(c.parentPackageUrl!);
  assert.equal(parent.statusCode, 200);
  assert.equal(parent.body, 'parent package tar');

  const tar = Buffer.from('candidate package tar bytes');
  const up = await worker.upload(job.id, c.leaseId, tar);
  assert.equal(up.statusCode, 200, up.body);
  const { sha256 } = up.json() as { sha256: string };
  assert.equal(sha256, createHash('sha256').update(tar).digest('hex'));
  const done = await worker.complete(job.id, c.leaseId, sha256);
  assert.equal(done.statusCode, 200, done.body);
  const finished = done.json() as JobView;
  assert.equal(finished.status, 'succeeded');
  assert.equal(finished.resultVersion, job.targetVersion);
  assert.equal(finished.threshold, 0.42);
  assert.equal(finished.metrics?.candidate.imageAuroc, 0.9);
  assert.equal(models.added.length, 1);
  assert.deepEqual(
    { ...models.added[0], packageTar: undefined },
    {
      version: job.targetVersion,
      line: 'line-1',
      parentVersion: 'base-1',
      jobId: job.id,
      datasetSnapshotId: job.datasetSnapshotId,
      metrics: finished.metrics,
      threshold: 0.42,
      packageTar: undefined,
      createdBy: 'worker:w1',
    },
  );
  // A worker that missed the answer repeats upload + complete: both answer as before.
  const reUp = await worker.upload(job.id, c.leaseId, tar);
  assert.equal(reUp.statusCode, 200, reUp.body);
  assert.deepEqual(reUp.json(), up.json());
  assert.equal((await worker.upload(job.id, c.leaseId, Buffer.from('other bytes'))).statusCode, 409);
  const twice = await worker.complete(job.id, c.leaseId, sha256);
  assert.equal(twice.statusCode, 200, twice.body);
  assert.deepEqual(twice.json(), finished);
  assert.equal(models.added.length, 1, 'registered once');
  // After the job: heartbeats are refused with the coded 409.
  const late = await worker.heartbeat(job.id, c.leaseId);
  assert.equal(late.statusCode, 409);
  assert.equal(code(late), 'LW_CTRL_JOB_LEASE_LOST');
});

test('lease expiry: the job is re-claimed, the stale worker gets 409 on every write, the new holder completes', async () => {
  const { app, admin, clock, worker } = await setup();
  await seedEvents(app, many(4, { line: 'line-1', label: 'confirmed', mask: true }));
  const job = await createdJob(app, admin);
  const first = claimOf(await worker.claim('w1'));
  assert.equal((await worker.heartbeat(job.id, first.leaseId)).statusCode, 200);
  const oldTar = Buffer.from('tar from w1');
  assert.equal((await worker.upload(job.id, first.leaseId, oldTar)).statusCode, 200);

  clock.advance(LEASE_MS - 1);
  assert.deepEqual((await worker.claim('w2')).json(), { claim: null }, 'not before the lease expires');
  clock.advance(2);
  const second = claimOf(await worker.claim('w2'));
  assert.equal(second.job.id, job.id);
  assert.equal(second.job.attempt, 2);
  assert.notEqual(second.leaseId, first.leaseId);

  const oldSha = createHash('sha256').update(oldTar).digest('hex');
  for (const res of [
    await worker.heartbeat(job.id, first.leaseId),
    await worker.upload(job.id, first.leaseId, oldTar),
    await worker.complete(job.id, first.leaseId, oldSha),
    await worker.fail(job.id, first.leaseId),
  ]) {
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(code(res), 'LW_CTRL_JOB_LEASE_LOST');
    assert.match((res.json() as { message: string }).message, /re-claimed by w2/);
  }
  // The new holder's package is its own: the old upload does not count for it.
  const noPkg = await worker.complete(job.id, second.leaseId, oldSha);
  assert.equal(code(noPkg), 'LW_CTRL_JOB_PACKAGE_MISSING');
  const tar = Buffer.from('tar from w2');
  const sha = createHash('sha256').update(tar).digest('hex');
  assert.equal((await worker.upload(job.id, second.leaseId, tar)).statusCode, 200);
  const done = await worker.complete(job.id, second.leaseId, sha);
  assert.equal(done.statusCode, 200, done.body);
  assert.equal((done.json() as JobView).leaseOwner, 'w2');
});

test('a lease that expired but was not re-claimed still works for its holder', async () => {
  const { app, admin, clock, worker } = await setup();
  await seedEvents(app, many(2, { line: 'line-1', label: 'confirmed' }));
  const job = await createdJob(app, admin);
  const c = claimOf(await worker.claim('w1'));
  clock.advance(LEASE_MS * 3);
  const hb = await worker.heartbeat(job.id, c.leaseId);
  assert.equal(hb.statusCode, 200, hb.body);
  assert.equal(
    (hb.json() as { leaseExpiresAt: string }).leaseExpiresAt,
    new Date(clock.now().getTime() + LEASE_MS).toISOString(),
  );
  assert.deepEqual((await worker.claim('w2')).json(), { claim: null });
});

test('attempts are bounded: a job whose last lease expires fails with LW_CTRL_JOB_ATTEMPTS_EXHAUSTED', async () => {
  const { app, admin, clock, worker } = await setup({ maxAttempts: 2 });
  await seedEvents(app, many(2, { line: 'line-1', label: 'confirmed' }));
  const job = await createdJob(app, admin);
  claimOf(await worker.claim('w1'));
  clock.advance(LEASE_MS + 1);
  claimOf(await worker.claim('w2'));
  clock.advance(LEASE_MS + 1);
  assert.deepEqual((await worker.claim('w3')).json(), { claim: null });
  const j = await getJob(app, admin, job.id);
  assert.equal(j.status, 'failed');
  assert.equal(j.errorCode, 'LW_CTRL_JOB_ATTEMPTS_EXHAUSTED');
  // The line is free for a new job.
  assert.equal((await createJob(app, admin)).statusCode, 201);
});

test('fail is terminal and idempotent; cancel stops the holder with 409; finished jobs cannot be cancelled', async () => {
  const { app, admin, worker } = await setup();
  await seedEvents(app, many(2, { line: 'line-1', label: 'confirmed' }));
  const job = await createdJob(app, admin);
  const c = claimOf(await worker.claim('w1'));
  const f1 = await worker.fail(job.id, c.leaseId);
  assert.equal(f1.statusCode, 200, f1.body);
  assert.deepEqual([(f1.json() as JobView).status, (f1.json() as JobView).errorCode], ['failed', 'LW_TRAINER_TEST']);
  const f2 = await worker.fail(job.id, c.leaseId);
  assert.deepEqual(f2.json(), f1.json());
  const cancelDone = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/cancel`, headers: admin.headers });
  assert.equal(code(cancelDone), 'LW_CTRL_JOB_FINISHED');

  const job2 = await createdJob(app, admin);
  const c2 = claimOf(await worker.claim('w1'));
  const cancel = await app.inject({ method: 'POST', url: `/api/jobs/${job2.id}/cancel`, headers: admin.headers });
  assert.equal(cancel.statusCode, 200, cancel.body);
  assert.equal((cancel.json() as JobView).status, 'cancelled');
  const hb = await worker.heartbeat(job2.id, c2.leaseId);
  assert.equal(hb.statusCode, 409);
  assert.match((hb.json() as { message: string }).message, /cancelled/);
});

test('package upload: size limit (413), content type (415), empty body; registry refusals leave the job open', async () => {
  const { app, admin, models, worker } = await setup({ maxPackageBytes: 2048 });
  await seedEvents(app, many(2, { line: 'line-1', label: 'confirmed' }));
  const job = await createdJob(app, admin);
  const c = claimOf(await worker.claim('w1'));
  const big = await worker.upload(job.id, c.leaseId, Buffer.alloc(2049, 1));
  assert.equal(big.statusCode, 413);
  assert.equal(code(big), 'LW_CTRL_PAYLOAD_TOO_LARGE');
  const json = await app.inject({
    method: 'PUT',
    url: `/api/worker/jobs/${job.id}/package?lease=${c.leaseId}`,
    headers: { authorization: `Bearer ${WORKER_TOKEN}`, 'content-type': 'application/octet-stream' },
    payload: Buffer.alloc(10),
  });
  assert.equal(json.statusCode, 415);
  const empty = await worker.upload(job.id, c.leaseId, Buffer.alloc(0));
  assert.ok([400, 415].includes(empty.statusCode), empty.body);
  const noLease = await app.inject({
    method: 'PUT',
    url: `/api/worker/jobs/${job.id}/package`,
    headers: { authorization: `Bearer ${WORKER_TOKEN}`, 'content-type': 'application/x-tar' },
    payload: Buffer.alloc(10),
  });
  assert.equal(code(noLease), 'LW_CTRL_VALIDATION');

  const tar = Buffer.alloc(2048, 7);
  const up = await worker.upload(job.id, c.leaseId, tar);
  assert.equal(up.statusCode, 200, up.body);
  const sha = (up.json() as { sha256: string }).sha256;
  assert.equal(code(await worker.complete(job.id, c.leaseId, 'f'.repeat(64))), 'LW_CTRL_JOB_PACKAGE_MISSING');
  models.refuse = ctrlError('LW_CTRL_VALIDATION', 'package signature invalid');
  const refused = await worker.complete(job.id, c.leaseId, sha);
  assert.equal(refused.statusCode, 400);
  assert.equal((await getJob(app, admin, job.id)).status, 'claimed', 'still open: the worker may fail it or retry');
  models.refuse = null;
  assert.equal((await worker.complete(job.id, c.leaseId, sha)).statusCode, 200);
});

test('dataset files cannot escape the snapshot or the store', async () => {
  const { app, admin, worker } = await setup();
  const [inSnap] = await seedEvents(app, many(2, { line: 'line-1', label: 'confirmed', mask: true }));
  const [other] = await seedEvents(app, [{ line: 'line-1', label: 'pending' }]);
  const job = await createdJob(app, admin);
  const base = `/api/worker/datasets/${job.datasetSnapshotId}/items`;
  assert.equal((await worker.get(`${base}/${inSnap}/image`)).statusCode, 200);
  for (const url of [
    `${base}/${other}/image`, // an event outside the snapshot
    `${base}/..%2F..%2F..%2Fetc%2Fpasswd/image`,
    `${base}/${'a'.repeat(64)}/image`, // a blob ref is not an item id
    `/api/worker/datasets/..%2Fblobs/items/${inSnap}/image`,
    `/api/worker/datasets/ds-nope/items/${inSnap}/image`,
    `${base}/${inSnap}/..%2F..%2Fpackage.json`,
    `${base}/${inSnap}/map`,
  ]) {
    const res = await worker.get(url);
    assert.ok([400, 404].includes(res.statusCode), `${url} → ${res.statusCode}`);
    assert.match(code(res), /^LW_CTRL_(NOT_FOUND|VALIDATION)$/, url);
  }
  const traversal = await worker.get(`${base}/../../../../etc/passwd`);
  // Dot segments never reach a handler: the URL is normalised or refused before routing (401 = unrouted /api path).
  assert.ok([400, 401, 404].includes(traversal.statusCode), `${traversal.statusCode} ${traversal.body}`);
  const none = await worker.get(`/api/worker/jobs/nope/parent-package`);
  assert.equal(none.statusCode, 404);
});

test('policy: enqueues after N new confirmed masks on a line, at most one open job, counted since the last job', async () => {
  const { app, admin, models, worker } = await setup({ autoTriggerMinMasks: 3 });
  models.live.set('line-2', 'base-1');
  await seedEvents(app, [
    ...many(2, { line: 'line-1', label: 'confirmed', mask: true }),
    ...many(5, { line: 'line-1', label: 'confirmed' }),
  ]);
  await seedEvents(app, many(4, { line: 'line-9', label: 'confirmed', mask: true })); // no live model: skipped
  assert.deepEqual(await app.jobs.policy.tick(), []);
  await seedEvents(app, [{ line: 'line-1', label: 'confirmed', mask: true }]);
  const [job, ...rest] = await app.jobs.policy.tick();
  assert.ok(job);
  assert.equal(rest.length, 0);
  assert.deepEqual([job.line, job.trigger, job.parentVersion], ['line-1', 'policy', 'base-1']);
  await seedEvents(app, many(3, { line: 'line-1', label: 'confirmed', mask: true }));
  assert.deepEqual(await app.jobs.policy.tick(), [], 'one open job per line');

  const lines = await app.inject({ method: 'GET', url: '/api/training/lines', headers: { cookie: admin.cookie } });
  const l1 = (lines.json() as { lines: TrainingLineView[] }).lines.find((l) => l.line === 'line-1');
  assert.deepEqual(
    {
      counts: l1?.counts,
      newMasks: l1?.newMasks,
      open: l1?.openJobId,
      live: l1?.liveVersion,
      min: l1?.autoTriggerMinMasks,
    },
    {
      counts: { px: 6, img: 5, normal: 0, rejected: 0, sampled: 0 },
      newMasks: 3,
      open: job.id,
      live: 'base-1',
      min: 3,
    },
  );

  const c = claimOf(await worker.claim('w1'));
  await worker.fail(c.job.id, c.leaseId);
  // 3 masks arrived while the job was open: they are new relative to its snapshot.
  const [next] = await app.jobs.policy.tick();
  assert.ok(next, 'a new job for the masks the failed job did not have');
  const ds = await app.inject({
    method: 'GET',
    url: `/api/datasets/${next.datasetSnapshotId}`,
    headers: { cookie: admin.cookie },
  });
  const counts = (ds.json() as { counts: { train: { px: number }; heldout: { px: number } } }).counts;
  assert.equal(counts.train.px + counts.heldout.px, 6);
  await app.inject({ method: 'POST', url: `/api/jobs/${next.id}/cancel`, headers: admin.headers });
  assert.deepEqual(await app.jobs.policy.tick(), [], 'nothing new since the last job: no retrigger loop');
  // line-2 crosses the threshold independently.
  await seedEvents(app, many(3, { line: 'line-2', label: 'confirmed', mask: true }));
  assert.deepEqual(
    (await app.jobs.policy.tick()).map((j) => j.line),
    ['line-2'],
  );
});

test('a crashed attempt that already registered the version: the expired job is finished, not trained again', async () => {
  const { app, admin, clock, models, worker } = await setup();
  await seedEvents(app, many(2, { line: 'line-1', label: 'confirmed' }));
  const job = await createdJob(app, admin);
  claimOf(await worker.claim('w1'));
  // w1's registry call went through, then w1 died before the job was marked succeeded.
  await models.addVersion({
    version: job.targetVersion,
    line: 'line-1',
    parentVersion: 'base-1',
    jobId: job.id,
    datasetSnapshotId: job.datasetSnapshotId,
    metrics: null,
    threshold: 0.5,
    packageTar: Buffer.from('w1 package'),
    createdBy: 'worker:w1',
  });
  clock.advance(LEASE_MS + 1);
  assert.deepEqual((await worker.claim('w2')).json(), { claim: null });
  const j = await getJob(app, admin, job.id);
  assert.deepEqual([j.status, j.resultVersion, j.attempt], ['succeeded', job.targetVersion, 1]);
});

test('the OpenAPI document lists the job and worker routes', async () => {
  const { app } = await setup();
  const res = await app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(res.statusCode, 200);
  const paths = Object.keys((res.json() as { paths: Record<string, unknown> }).paths);
  for (const p of [
    '/api/jobs',
    '/api/jobs/{id}/cancel',
    '/api/training/lines',
    '/api/worker/claim',
    '/api/worker/datasets/{id}/items/{item}/{file}',
    '/api/worker/jobs/{id}/package',
  ])
    assert.ok(paths.includes(p), p);
});
