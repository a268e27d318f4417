/**
 * Hostile bodies against the worker API and job creation (fixed seed, inject): every answer is a success or a coded
 * 4xx — never a 5xx — and whatever the worker calls did, the job ends in a valid state.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { JobView } from '@linewatch/protocol/http';
import { login, testApp } from './helpers/http.js';
import { MemoryModels, WORKER_TOKEN, claimOf, many, seedEvents } from './helpers/jobs.js';

const RUNS = 1500;

test(`${RUNS} fuzzed worker/job requests: no 5xx, every rejection coded`, { timeout: 120_000 }, async () => {
  const models = new MemoryModels();
  models.live.set('line-1', 'base-1');
  const { app, adminPassword } = await testApp({
    jobModels: models,
    overrides: { jobs: { workerToken: WORKER_TOKEN, maxPackageBytes: 4096 } },
  });
  try {
    const admin = await login(app, 'admin', adminPassword);
    await seedEvents(app, many(3, { line: 'line-1', label: 'confirmed', mask: true }));
    const created = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      headers: admin.headers,
      payload: { line: 'line-1' },
    });
    const job = created.json() as JobView;
    const auth = { authorization: `Bearer ${WORKER_TOKEN}` };
    const c = claimOf(
      await app.inject({ method: 'POST', url: '/api/worker/claim', headers: auth, payload: { workerId: 'w1' } }),
    );
    const wild = fc.oneof(fc.jsonValue(), fc.string({ maxLength: 100 }));
    const lease = fc.oneof(fc.constant(c.leaseId), fc.stringMatching(/^[A-Za-z0-9_-]{8,20}$/), wild);
    const progress = fc.record(
      {
        phase: fc.oneof(fc.constantFrom('train', ''), wild),
        epoch: fc.oneof(fc.integer(), wild),
        epochs: wild,
        loss: fc.oneof(fc.double(), wild),
        etaS: wild,
        extra: wild,
      },
      { requiredKeys: [] },
    );
    const metrics = fc.oneof(
      fc.constant({ candidate: { imageAuroc: 0.9, pixelAuroc: null, falseAlarmRate: 0.1, n: 3 }, parent: null }),
      wild,
    );
    const body = fc.oneof(
      fc.record({ workerId: fc.oneof(fc.stringMatching(/^[a-z0-9]{1,8}$/), wild) }, { requiredKeys: [] }),
      fc.record({ leaseId: lease, progress }, { requiredKeys: [] }),
      fc.record(
        {
          leaseId: lease,
          packageSha256: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), wild),
          metrics,
          threshold: fc.oneof(fc.double(), wild),
        },
        { requiredKeys: [] },
      ),
      fc.record({ leaseId: lease, code: wild, message: wild }, { requiredKeys: [] }),
      fc.record({ line: fc.oneof(fc.constantFrom('line-1', 'line-2'), wild) }, { requiredKeys: [] }),
    );
    const target = fc.constantFrom(
      '/api/worker/claim',
      `/api/worker/jobs/${job.id}/heartbeat`,
      `/api/worker/jobs/${job.id}/complete`,
      `/api/worker/jobs/${job.id}/fail`,
      `/api/worker/jobs/nope/heartbeat`,
      '/api/jobs',
    );
    const upload = fc.record({
      bytes: fc.uint8Array({ maxLength: 5000 }),
      ctype: fc.constantFrom('application/x-tar', 'application/json', 'application/octet-stream', ''),
      lease,
    });
    const req = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant('json' as const),
          url: target,
          body,
          raw: fc.boolean(),
          text: fc.string({ maxLength: 100 }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('upload' as const), upload }) },
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(req, async (r) => {
        n++;
        const res =
          r.kind === 'upload'
            ? await app.inject({
                method: 'PUT',
                url: `/api/worker/jobs/${job.id}/package?lease=${encodeURIComponent(typeof r.upload.lease === 'string' ? r.upload.lease : JSON.stringify(r.upload.lease))}`,
                headers: { ...auth, ...(r.upload.ctype ? { 'content-type': r.upload.ctype } : {}) },
                payload: Buffer.from(r.upload.bytes),
              })
            : await app.inject({
                method: 'POST',
                url: r.url,
                headers: { ...(r.url === '/api/jobs' ? admin.headers : auth), 'content-type': 'application/json' },
                payload: r.raw ? r.text : JSON.stringify(r.body),
              });
        assert.ok(res.statusCode < 500, `${res.statusCode} ${res.body}`);
        if (res.statusCode >= 400) assert.match((res.json() as { code: string }).code, /^LW_CTRL_[A-Z_]+$/);
      }),
      { numRuns: RUNS, seed: 7 },
    );
    assert.equal(n, RUNS);
    const after = await app.jobs.service.getJob(job.id);
    assert.ok(['queued', 'claimed', 'running', 'succeeded', 'failed', 'cancelled'].includes(after.status));
    if (after.status === 'succeeded') assert.equal(after.resultVersion, job.targetVersion);
  } finally {
    await app.close();
  }
});
