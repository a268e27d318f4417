/**
 * The store conformance suite: the same behaviour is required of every backend. Each backend test file supplies a
 * factory that opens a fresh, migrated store plus raw SQL access (to tamper with the schema for drift tests).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isControllerError } from '../../src/errors.js';
import { DEFAULT_POLICY } from '../../src/rollouts/policy.js';
import { loadMigrations, migrationsDir } from '../../src/store/migrations.js';
import type { RolloutRow, TargetRow } from '../../src/store/rollout-store.js';
import type { Store } from '../../src/store/store.js';
import type { EventRow, NewEvent } from '../../src/store/types.js';
import { classStoreTests } from './store-suite-classes.js';
import { calibrationStoreTests } from './store-suite-calibration.js';
import { draftStoreTests } from './store-suite-drafts.js';
import { enrollmentStoreTests } from './store-suite-enrollment.js';
import { labelsIoStoreTests } from './store-suite-labels-io.js';
import { leaseStoreTests } from './store-suite-leases.js';
import { rolloutCommandTests } from './store-suite-commands.js';

export interface Backend {
  /** A fresh empty database, migrated. `reopen` opens the same database again (runs the migrator again). */
  fresh(): Promise<{ store: Store; reopen(): Promise<Store>; exec(sql: string): Promise<void> }>;
}

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
let seq = 0;
export function newEvent(over: Partial<NewEvent> = {}): NewEvent {
  seq += 1;
  return {
    id: `ev-${seq}-${Math.random().toString(36).slice(2, 8)}`,
    deviceId: 'dev-a',
    sequence: seq,
    line: 'line-1',
    camera: 'cam-1',
    ts: new Date(T0 + seq * 1000),
    modelVersion: 'm1',
    score: 0.9,
    threshold: 0.5,
    frameRef: 'a'.repeat(64),
    mapRef: 'b'.repeat(64),
    frameWidth: 64,
    frameHeight: 48,
    receivedAt: new Date(T0 + seq * 1000 + 5),
    ...over,
  };
}

async function rejectsDrift(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (e: unknown) => isControllerError(e, 'LW_CTRL_DB_SCHEMA_DRIFT'));
}

export function defineStoreSuite(name: string, backend: () => Backend | null, skip: string | false = false): void {
  const t = (title: string, fn: () => Promise<void>): void => {
    test(`${name}: ${title}`, { skip }, fn);
  };
  const withStore = async (fn: (s: Store) => Promise<void>): Promise<void> => {
    const { store } = await backend()!.fresh();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };

  t('migrations apply once and re-opening applies nothing', async () => {
    const db = await backend()!.fresh();
    // Every committed migration, in order (the list grows with the schema; both providers ship the same names).
    const all = loadMigrations(migrationsDir('sqlite')).map((m) => m.name);
    assert.ok(all.includes('20261128160000_site_and_bdseq'));
    assert.deepEqual((db.store as Store & { migrated: string[] }).migrated, all);
    await db.store.close();
    const again = await db.reopen();
    assert.deepEqual((again as Store & { migrated: string[] }).migrated, []);
    await again.close();
  });

  t('refuses to open on a changed migration checksum', async () => {
    const db = await backend()!.fresh();
    await db.store.close();
    await db.exec(`UPDATE "_migrations" SET checksum = 'x'`);
    await rejectsDrift(db.reopen());
  });

  t('refuses to open with an unexpected column', async () => {
    const db = await backend()!.fresh();
    await db.store.close();
    await db.exec(`ALTER TABLE "Event" ADD COLUMN "sneaky" TEXT`);
    await rejectsDrift(db.reopen());
  });

  t('refuses to open with an unexpected table', async () => {
    const db = await backend()!.fresh();
    await db.store.close();
    await db.exec(`CREATE TABLE "Other" ("x" INTEGER)`);
    await rejectsDrift(db.reopen());
  });

  t('users and sessions', async () => {
    await withStore(async (s) => {
      assert.equal(await s.users.count(), 0);
      const u = {
        id: 'u1',
        username: 'ann',
        passwordHash: 'h',
        role: 'qa' as const,
        lines: ['line-1'],
        createdAt: new Date(T0),
        mustChangePassword: false,
      };
      await s.users.create(u);
      assert.deepEqual(await s.users.findByName('ann'), u);
      assert.deepEqual(await s.users.find('u1'), u);
      assert.equal(await s.users.find('nope'), null);
      await assert.rejects(s.users.create({ ...u, id: 'u2' }));
      const sess = { id: 'sid', userId: 'u1', csrfToken: 'c', createdAt: new Date(T0), expiresAt: new Date(T0 + 1000) };
      await s.sessions.create(sess);
      assert.deepEqual(await s.sessions.find('sid'), sess);
      await s.sessions.create({ ...sess, id: 'sid2' });
      await s.sessions.create({ ...sess, id: 'sid3' });
      assert.equal(await s.sessions.deleteForUser('u1', 'sid'), 2);
      assert.equal(await s.sessions.find('sid2'), null);
      await s.users.updatePassword('u1', 'h2');
      assert.equal((await s.users.find('u1'))?.passwordHash, 'h2');
      assert.equal(await s.sessions.deleteExpired(new Date(T0 + 999)), 0);
      assert.equal(await s.sessions.deleteExpired(new Date(T0 + 1000)), 1);
      assert.equal(await s.sessions.find('sid'), null);
    });
  });

  t('devices are listed by visible line', async () => {
    await withStore(async (s) => {
      const d = { name: 'n', site: 'default', credentialHash: 'h', createdAt: new Date(T0), disabledAt: null };
      await s.devices.create({ ...d, id: 'dev-a', line: 'line-1' });
      await s.devices.create({ ...d, id: 'dev-b', line: 'line-2' });
      assert.deepEqual(
        (await s.devices.list()).map((x) => x.id),
        ['dev-a', 'dev-b'],
      );
      assert.deepEqual(
        (await s.devices.list(['line-2'])).map((x) => x.id),
        ['dev-b'],
      );
      assert.deepEqual(await s.devices.list([]), []);
      assert.equal((await s.devices.find('dev-b'))?.line, 'line-2');
      assert.equal((await s.devices.disable('dev-b', new Date(T0 + 5)))?.disabledAt?.getTime(), T0 + 5);
      assert.equal(
        (await s.devices.disable('dev-b', new Date(T0 + 9)))?.disabledAt?.getTime(),
        T0 + 5,
        'first disable wins',
      );
      assert.equal(await s.devices.disable('nope', new Date()), null);
    });
  });

  t('events are stored once per (device, sequence)', async () => {
    await withStore(async (s) => {
      const e = newEvent();
      const first = await s.events.insertOnce(e);
      assert.equal(first.created, true);
      assert.equal(first.event.labelStatus, 'pending');
      const again = await s.events.insertOnce({ ...e, id: 'other-id', score: 0.1 });
      assert.equal(again.created, false);
      assert.equal(again.event.id, e.id);
      assert.equal(again.event.score, e.score);
      assert.equal((await s.events.list({ limit: 10 })).length, 1);
      // Same sequence from another device is a different event.
      assert.equal((await s.events.insertOnce({ ...e, id: 'x2', deviceId: 'dev-b' })).created, true);
    });
  });

  t('event queue: newest first, filters, visibility, keyset pagination', async () => {
    await withStore(async (s) => {
      const evs: NewEvent[] = [
        newEvent({ line: 'line-1', camera: 'cam-1', score: 0.6, modelVersion: 'm1' }),
        newEvent({ line: 'line-2', camera: 'cam-2', score: 0.7, modelVersion: 'm2' }),
        newEvent({ line: 'line-1', camera: 'cam-2', score: 0.8, modelVersion: 'm1' }),
        newEvent({ line: 'line-1', camera: 'cam-1', score: 0.95, modelVersion: 'm2' }),
      ];
      for (const e of evs) await s.events.insertOnce(e);
      const ids = (rows: EventRow[]): string[] => rows.map((r) => r.id);
      const [e0, e1, e2, e3] = evs.map((e) => e.id);
      assert.deepEqual(ids(await s.events.list({ limit: 10 })), [e3, e2, e1, e0]);
      assert.deepEqual(ids(await s.events.list({ limit: 10, line: 'line-1' })), [e3, e2, e0]);
      assert.deepEqual(ids(await s.events.list({ limit: 10, camera: 'cam-2' })), [e2, e1]);
      assert.deepEqual(ids(await s.events.list({ limit: 10, modelVersion: 'm2' })), [e3, e1]);
      assert.deepEqual(ids(await s.events.list({ limit: 10, minScore: 0.7, maxScore: 0.8 })), [e2, e1]);
      assert.deepEqual(ids(await s.events.list({ limit: 10, visibleLines: ['line-2'] })), [e1]);
      assert.deepEqual(ids(await s.events.list({ limit: 10, visibleLines: [] })), []);
      const page1 = await s.events.list({ limit: 2 });
      assert.deepEqual(ids(page1), [e3, e2]);
      const last = page1[1]!;
      assert.deepEqual(ids(await s.events.list({ limit: 2, before: { ts: last.ts, id: last.id } })), [e1, e0]);
      const labelled = await s.events.label(e2!, 'confirmed', 'u1', new Date(T0 + 99_000));
      assert.equal(labelled?.labelStatus, 'confirmed');
      assert.equal(labelled?.reviewerId, 'u1');
      assert.equal(labelled?.reviewedAt?.getTime(), T0 + 99_000);
      assert.deepEqual(ids(await s.events.list({ limit: 10, status: 'pending' })), [e3, e1, e0]);
      assert.deepEqual(ids(await s.events.list({ limit: 10, status: 'confirmed' })), [e2]);
      assert.equal(await s.events.label('missing', 'rejected', 'u1', new Date()), null);
    });
  });

  t('masks are upserted per event', async () => {
    await withStore(async (s) => {
      const m = { eventId: 'e1', ref: 'c'.repeat(64), width: 4, height: 3, authorId: 'u1', createdAt: new Date(T0) };
      await s.events.saveMask(m);
      await s.events.saveMask({ ...m, ref: 'd'.repeat(64) });
      assert.equal((await s.events.getMask('e1'))?.ref, 'd'.repeat(64));
      assert.equal(await s.events.getMask('e2'), null);
      assert.deepEqual(await s.events.withMasks(['e1', 'e2']), new Set(['e1']));
      assert.deepEqual(await s.events.withMasks([]), new Set());
    });
  });

  t('label statistics count events per line and status, filtered by visible line', async () => {
    await withStore(async (s) => {
      const a = newEvent({ line: 'line-1' });
      const b = newEvent({ line: 'line-1' });
      await s.events.insertOnce(a);
      await s.events.insertOnce(b);
      await s.events.insertOnce(newEvent({ line: 'line-1' }));
      await s.events.insertOnce(newEvent({ line: 'line-2' }));
      await s.events.label(a.id, 'confirmed', 'u1', new Date(T0));
      await s.events.label(b.id, 'rejected', 'u1', new Date(T0));
      assert.deepEqual(await s.events.labelStats(), [
        { line: 'line-1', status: 'confirmed', count: 1 },
        { line: 'line-1', status: 'pending', count: 1 },
        { line: 'line-1', status: 'rejected', count: 1 },
        { line: 'line-2', status: 'pending', count: 1 },
      ]);
      assert.deepEqual(await s.events.labelStats(['line-2']), [{ line: 'line-2', status: 'pending', count: 1 }]);
      assert.deepEqual(await s.events.labelStats([]), []);
    });
  });

  t('score aggregates merge: counts and sums add, max takes the max', async () => {
    await withStore(async (s) => {
      const minute = new Date(T0);
      const row = { deviceId: 'dev-a', camera: 'cam-1', minute, count: 2, sum: 1.0, max: 0.7, flagged: 1 };
      await s.scores.add([row, { ...row, camera: 'cam-2' }]);
      await s.scores.add([{ ...row, count: 3, sum: 0.5, max: 0.4, flagged: 0 }]);
      const rows = await s.scores.list('dev-a', minute, new Date(T0 + 60_000));
      assert.equal(rows.length, 2);
      assert.deepEqual(rows[0], { ...row, count: 5, sum: 1.5, max: 0.7, flagged: 1 });
      assert.deepEqual(await s.scores.list('dev-a', new Date(T0 + 60_000), new Date(T0 + 120_000)), []);
    });
  });

  t('fleet status upserts and is filtered by visible line', async () => {
    await withStore(async (s) => {
      const d = { name: 'n', site: 'default', credentialHash: 'h', createdAt: new Date(T0), disabledAt: null };
      await s.devices.create({ ...d, id: 'dev-a', line: 'line-1' });
      await s.devices.create({ ...d, id: 'dev-b', line: 'line-2' });
      await s.fleet.upsert('dev-a', { online: true, lastSeen: new Date(T0), agentVersion: '1.0' }, new Date(T0));
      await s.fleet.upsert('dev-a', { lastSeen: new Date(T0 + 5), health: { cpu: 0.5 } }, new Date(T0 + 5));
      await s.fleet.upsert('dev-b', { online: false, lastSeen: new Date(T0) }, new Date(T0));
      const all = await s.fleet.list();
      assert.equal(all.length, 2);
      const a = all.find((f) => f.deviceId === 'dev-a')!;
      assert.equal(a.online, true);
      assert.equal(a.agentVersion, '1.0');
      assert.deepEqual(a.health, { cpu: 0.5 });
      assert.equal(a.lastSeen.getTime(), T0 + 5);
      assert.equal(a.line, 'line-1');
      assert.deepEqual(
        (await s.fleet.list(['line-2'])).map((f) => f.deviceId),
        ['dev-b'],
      );
      assert.equal((await s.fleet.get('dev-a'))?.agentVersion, '1.0');
      assert.equal(await s.fleet.get('dev-x'), null);
    });
  });

  t('rollout JSON columns (policy, baseline, report, details) reach callers parsed and round-trip', async () => {
    await withStore(async (s) => {
      const at = new Date(T0);
      const baseline = { frames: 1200, flagged: 3, from: new Date(T0 - 3_600_000).toISOString(), to: at.toISOString() };
      const row: RolloutRow = {
        id: 'ro-1',
        version: 'v2',
        parentVersion: 'v1',
        line: 'line-1',
        policy: { ...DEFAULT_POLICY, shadow: { durationS: 30, minFrames: 10 } },
        state: 'running',
        phase: 'canary',
        wave: 0,
        waves: 2,
        waveStartedAt: null,
        waveLiveAt: null,
        baseline,
        reason: null,
        createdBy: 'u1',
        createdAt: at,
        updatedAt: at,
        endedAt: null,
      };
      const target: TargetRow = {
        rolloutId: 'ro-1',
        deviceId: 'dev-a',
        wave: 0,
        state: 'pending',
        fromVersion: 'v1',
        issuedAt: null,
        liveAt: null,
        report: null,
        frames: 0,
        baseFps: 9.5,
        baseLatencyMs: 40,
        rolledBackAt: null,
        updatedAt: at,
      };
      await s.rollouts.create(row, [target], {
        at,
        actor: 'u1',
        action: 'created',
        reason: 'r',
        details: { offline: ['dev-x'] },
      });
      assert.deepEqual(await s.rollouts.get('ro-1'), row);
      const report = {
        device: 'dev-a',
        rolloutId: 'ro-1',
        version: 'v2',
        state: 'failed' as const,
        reason: { code: 'TIMEOUT' as const },
        liveVersion: 'v1',
        ts: T0 + 5,
      };
      await s.rollouts.updateTarget('ro-1', 'dev-a', { state: 'failed', report, updatedAt: new Date(T0 + 5) });
      await s.rollouts.updateTarget('ro-1', 'dev-a', { frames: 7 }); // a patch without a report keeps it
      assert.deepEqual((await s.rollouts.targets('ro-1'))[0], {
        ...target,
        state: 'failed',
        report,
        frames: 7,
        updatedAt: new Date(T0 + 5),
      });
      await s.rollouts.decide({
        rolloutId: 'ro-1',
        at,
        actor: 'engine',
        action: 'paused',
        reason: 'r2',
        details: null,
      });
      assert.deepEqual(
        (await s.rollouts.decisions('ro-1')).map((d) => d.details),
        [{ offline: ['dev-x'] }, null],
      );
    });
  });
  enrollmentStoreTests(t, withStore);
  labelsIoStoreTests(t, withStore);
  draftStoreTests(t, withStore);
  calibrationStoreTests(t, withStore);
  classStoreTests(t, withStore);
  const withTwo = async (fn: (a: Store, b: Store) => Promise<void>): Promise<void> => {
    const db = await backend()!.fresh();
    const other = await db.reopen();
    try {
      await fn(db.store, other);
    } finally {
      await other.close();
      await db.store.close();
    }
  };
  leaseStoreTests(t, withTwo);
  rolloutCommandTests(t, withTwo);
}
