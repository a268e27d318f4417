/**
 * The jobs store on both providers: JSON round trips, the one-open-job-per-line partial unique index (also under
 * concurrent creation, with the whole snapshot rolled back), and compare-and-set claims where exactly one racer wins.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openPostgresStore } from '../src/store/open-postgres.js';
import { openSqliteStore } from '../src/store/open-sqlite.js';
import type { JobRow, JobsStore, SnapshotItemRow, SnapshotRow } from '../src/store/jobs-store.js';
import type { Store } from '../src/store/store.js';
import { PG_SKIP_REASON, findPgBin, startPgCluster, type PgCluster } from './helpers/pg-cluster.js';
import { newEvent } from './helpers/store-suite.js';

const T0 = new Date(Date.UTC(2026, 10, 28, 12));
let n = 0;

function fixture(
  line: string,
  over: Partial<JobRow> = {},
): { snapshot: SnapshotRow; items: SnapshotItemRow[]; job: JobRow } {
  n++;
  const id = `j-${n}`;
  const snapshot: SnapshotRow = {
    id: `ds-${id}`,
    line,
    createdAt: T0,
    digest: 'd'.repeat(64),
    heldOutFraction: 0.25,
    counts: { train: { px: 1, img: 0, normal: 1 }, heldout: { px: 0, img: 0, normal: 0 } },
  };
  const items: SnapshotItemRow[] = ['e1', 'e2'].map((e, i) => ({
    snapshotId: snapshot.id,
    eventId: `${id}-${e}`,
    kind: i === 0 ? 'px' : 'normal',
    split: 'train',
    label: i === 0 ? 1 : 0,
    line,
    camera: 'cam-1',
    frameRef: 'a'.repeat(64),
    maskRef: i === 0 ? 'b'.repeat(64) : null,
    width: 32,
    height: 24,
    origin: i === 0 ? 'confirmed-mask' : 'rejected', // kept per item, both providers
    defectClass: null, // unclassified: stored and read back as null
  }));
  const job: JobRow = {
    id,
    line,
    status: 'queued',
    trigger: 'policy',
    parentVersion: 'base-1',
    targetVersion: `ft-${id}`,
    datasetSnapshotId: snapshot.id,
    attempt: 0,
    maxAttempts: 3,
    leaseId: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    progress: null,
    packageRef: null,
    resultVersion: null,
    metrics: null,
    threshold: null,
    errorCode: null,
    errorMessage: null,
    createdAt: new Date(T0.getTime() + n),
    updatedAt: T0,
    startedAt: null,
    finishedAt: null,
    ...over,
  };
  return { snapshot, items, job };
}

function suite(provider: 'sqlite' | 'postgresql', open: () => Promise<Store>, skip: string | false): void {
  describe(`jobs store on ${provider}`, { skip }, () => {
    let store: Store;
    let jobs: JobsStore;
    before(async () => {
      store = await open();
      jobs = store.jobs;
    });
    after(async () => {
      await store?.close();
    });

    test('round trip: job JSON columns, snapshot counts, items', async () => {
      const f = fixture('rt');
      assert.equal(await jobs.createJobWithSnapshot(f.snapshot, f.items, f.job), true);
      assert.deepEqual(await jobs.getSnapshot(f.snapshot.id), f.snapshot);
      assert.deepEqual(await jobs.listSnapshotItems(f.snapshot.id), f.items);
      assert.deepEqual(await jobs.getJob(f.job.id), f.job);
      const progress = { phase: 'train', epoch: 2, epochs: 5, loss: 0.25, etaS: null };
      const metrics = { candidate: { imageAuroc: 0.9, pixelAuroc: null, falseAlarmRate: 0.05, n: 4 }, parent: null };
      assert.equal(
        await jobs.updateJobIf(f.job.id, { status: 'queued', leaseId: null }, { progress, metrics, threshold: 0.5 }),
        true,
      );
      const got = await jobs.getJob(f.job.id);
      assert.deepEqual([got?.progress, got?.metrics, got?.threshold], [progress, metrics, 0.5]);
    });

    test('one open job per line: a second open job is refused and its snapshot rolled back', async () => {
      const a = fixture('one');
      const b = fixture('one');
      assert.equal(await jobs.createJobWithSnapshot(a.snapshot, a.items, a.job), true);
      assert.equal(await jobs.createJobWithSnapshot(b.snapshot, b.items, b.job), false);
      assert.equal(await jobs.getSnapshot(b.snapshot.id), null);
      assert.deepEqual(await jobs.listSnapshotItems(b.snapshot.id), []);
      assert.equal(await jobs.updateJobIf(a.job.id, { status: 'queued' }, { status: 'failed' }), true);
      const c = fixture('one');
      assert.equal(await jobs.createJobWithSnapshot(c.snapshot, c.items, c.job), true, 'a finished job frees the line');
      assert.equal((await jobs.openJobForLine('one'))?.id, c.job.id);
      assert.equal((await jobs.lastJobForLine('one'))?.id, c.job.id);
    });

    test('concurrent creation on one line: exactly one wins', async () => {
      const fs = Array.from({ length: 4 }, () => fixture('race'));
      const results = await Promise.all(fs.map((f) => jobs.createJobWithSnapshot(f.snapshot, f.items, f.job)));
      assert.equal(results.filter(Boolean).length, 1, JSON.stringify(results));
    });

    test('compare-and-set claims: exactly one of concurrent claimers wins; expired leases become candidates', async () => {
      const f = fixture('cas');
      await jobs.createJobWithSnapshot(f.snapshot, f.items, f.job);
      const wins = await Promise.all(
        ['w1', 'w2', 'w3'].map((w) =>
          jobs.updateJobIf(
            f.job.id,
            { status: 'queued', leaseId: null },
            { status: 'claimed', leaseId: `lease-${w}`, leaseOwner: w, leaseExpiresAt: new Date(T0.getTime() + 1000) },
          ),
        ),
      );
      assert.equal(wins.filter(Boolean).length, 1);
      const ids = async (at: number) =>
        (await jobs.claimCandidates(new Date(at), 100)).filter((j) => j.line === 'cas').map((j) => j.id);
      assert.deepEqual(await ids(T0.getTime() + 999), []);
      assert.deepEqual(await ids(T0.getTime() + 1000), [f.job.id]);
      const held = (await jobs.getJob(f.job.id))!;
      // A re-claim must not take a lease renewed after it was read.
      assert.equal(
        await jobs.updateJobIf(
          f.job.id,
          { status: 'claimed', leaseId: held.leaseId, leaseExpiredBy: new Date(T0.getTime() + 500) },
          { leaseOwner: 'thief' },
        ),
        false,
      );
      assert.equal(
        await jobs.updateJobIf(
          f.job.id,
          { status: 'claimed', leaseId: held.leaseId, leaseExpiredBy: new Date(T0.getTime() + 1000) },
          { leaseOwner: 'next' },
        ),
        true,
      );
    });

    test('labelled events with their masks, known lines', async () => {
      const [c1, c2, r1, p1] = [
        newEvent({ line: 'lab' }),
        newEvent({ line: 'lab' }),
        newEvent({ line: 'lab' }),
        newEvent({ line: 'lab' }),
      ];
      for (const e of [c1, c2, r1, p1]) await store.events.insertOnce(e);
      await store.events.label(c1.id, 'confirmed', 'u', T0);
      await store.events.label(c2.id, 'confirmed', 'u', T0);
      await store.events.label(r1.id, 'rejected', 'u', T0);
      await store.events.saveMask({
        eventId: c1.id,
        ref: 'c'.repeat(64),
        width: 64,
        height: 48,
        authorId: 'u',
        createdAt: T0,
      });
      const got = await jobs.labelledEvents('lab');
      assert.deepEqual(
        got.map((e) => [e.id, e.labelStatus, e.maskRef]),
        [
          [c1.id, 'confirmed', 'c'.repeat(64)],
          [c2.id, 'confirmed', null],
          [r1.id, 'rejected', null],
        ],
      );
      assert.ok((await jobs.knownLines()).includes('lab'));
    });
  });
}

suite('sqlite', () => openSqliteStore({ path: ':memory:', busyTimeoutMs: 5000 }), false);

const pgAvailable = findPgBin() !== null;
let cluster: PgCluster | null = null;
before(async () => {
  if (pgAvailable) cluster = await startPgCluster();
});
after(async () => {
  await cluster?.stop();
});
suite(
  'postgresql',
  async () => openPostgresStore({ url: await cluster!.createDatabase('jobs_store') }),
  pgAvailable ? false : PG_SKIP_REASON,
);
