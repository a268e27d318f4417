/**
 * Jobs against the real registry (REG's Registry behind registryModels): the parent is what the line's devices
 * run, the worker downloads the parent's package, and the signed candidate lands in the registry with its lineage
 * (job, dataset snapshot, parent) and an eligibility decision. A package the registry refuses leaves the job open.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { JobView } from '@linewatch/protocol/http';
import { login, testApp } from './helpers/http.js';
import { WORKER_TOKEN, claimOf, many, seedEvents, workerClient } from './helpers/jobs.js';
import { makeKeys } from './helpers/rollout-fixture.js';
import { stubPackage } from './helpers/sim-agent.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test(
  'parent from the fleet, package download, registration with lineage and eligibility',
  { timeout: 60_000 },
  async () => {
    const keys = makeKeys();
    const { app, adminPassword } = await testApp({
      overrides: {
        registry: { trustedKeys: [keys.pem] },
        jobs: { workerToken: WORKER_TOKEN, autoTriggerMinMasks: null },
      },
    });
    try {
      const admin = await login(app, 'admin', adminPassword);
      const parentTar = stubPackage(keys.privateKey, keys.publicKey, '1.0.0', 1);
      for (const v of ['v1', 'v0']) {
        const up = await app.inject({
          method: 'POST',
          url: `/api/models?version=${v}&line=line-1`,
          headers: { ...admin.headers, 'content-type': 'application/octet-stream' },
          payload: v === 'v1' ? parentTar : stubPackage(keys.privateKey, keys.publicKey, '0.9.0', 1),
        });
        assert.equal(up.statusCode, 201, up.body);
      }
      await seedEvents(app, [
        ...many(4, { line: 'line-1', label: 'confirmed', mask: true }),
        ...many(4, { line: 'line-1', label: 'rejected' }),
      ]);
      const noLive = await app.inject({
        method: 'POST',
        url: '/api/jobs',
        headers: admin.headers,
        payload: { line: 'line-1' },
      });
      assert.equal((noLive.json() as { code: string }).code, 'LW_CTRL_JOB_NO_PARENT', 'registered is not live');

      // Two of three devices on the line run v1 (one is mid-way to something else): v1 is the parent.
      const now = app.ctx.clock.now();
      for (const [id, version] of [
        ['d1', 'v1'],
        ['d2', 'v1'],
        ['d3', 'v0'],
      ] as const) {
        await app.ctx.store.devices.create({
          id,
          name: id,
          site: 'default',
          line: 'line-1',
          credentialHash: 'x',
          createdAt: now,
          disabledAt: null,
        });
        await app.ctx.store.fleet.upsert(id, { lastSeen: now, online: true, modelVersion: version }, now);
      }
      const created = await app.inject({
        method: 'POST',
        url: '/api/jobs',
        headers: admin.headers,
        payload: { line: 'line-1' },
      });
      assert.equal(created.statusCode, 201, created.body);
      const job = created.json() as JobView;
      assert.equal(job.parentVersion, 'v1');

      const worker = workerClient(app);
      const c = claimOf(await worker.claim('w1'));
      const parent = await worker.get(c.parentPackageUrl!);
      assert.equal(parent.statusCode, 200);
      assert.equal(sha(parent.rawPayload), sha(parentTar));

      // A package signed with a key the controller does not trust is refused; the job stays open.
      const rogue = makeKeys();
      const bad = stubPackage(rogue.privateKey, rogue.publicKey, '1.1.0', 2);
      await worker.upload(job.id, c.leaseId, bad);
      const refused = await worker.complete(job.id, c.leaseId, sha(bad));
      assert.equal(refused.statusCode, 422, refused.body);
      assert.equal((refused.json() as { code: string }).code, 'LW_CTRL_MODEL_PACKAGE_INVALID');
      assert.equal((await app.jobs.service.getJob(job.id)).status, 'claimed');

      const good = stubPackage(keys.privateKey, keys.publicKey, '1.1.0', 2);
      await worker.upload(job.id, c.leaseId, good);
      const done = await worker.complete(job.id, c.leaseId, sha(good));
      assert.equal(done.statusCode, 200, done.body);
      const model = await app.inject({
        method: 'GET',
        url: `/api/models/${job.targetVersion}`,
        headers: { cookie: admin.cookie },
      });
      assert.equal(model.statusCode, 200, model.body);
      const m = model.json() as {
        parentVersion: string;
        jobId: string;
        datasetSnapshotId: string;
        sha256: string;
        eligible: boolean | null;
        threshold: number;
        createdBy: string;
      };
      assert.deepEqual(
        [m.parentVersion, m.jobId, m.datasetSnapshotId, m.sha256, m.threshold, m.createdBy],
        ['v1', job.id, job.datasetSnapshotId, sha(good), 0.42, 'worker:w1'],
      );
      assert.notEqual(m.eligible, null, 'decided against the parent');
    } finally {
      await app.close();
    }
  },
);
