/**
 * Conformance (both backends): leader leases. Two stores opened on one database stand for two replicas (separate
 * connections): exactly one holds a lease at a time, the holder renews with the same fence, an expired lease is
 * taken over with a higher fence, and the stale holder's fenced check, renewal and release are refused.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_POLICY } from '../../src/rollouts/policy.js';
import type { RolloutRow, TargetRow } from '../../src/store/rollout-store.js';
import type { Store } from '../../src/store/store.js';

type T = (title: string, fn: () => Promise<void>) => void;
/** Runs fn with two stores on one fresh database; closes both. */
type WithTwo = (fn: (a: Store, b: Store) => Promise<void>) => Promise<void>;

const LONG = { ttlMs: 60_000 };
const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

/** A running rollout with `n` pending wave-0 targets. */
async function pendingWave(s: Store, n: number): Promise<string[]> {
  const at = new Date(T0);
  const row: RolloutRow = {
    ...{ id: 'ro-f', version: 'v2', parentVersion: 'v1', line: 'line-1', policy: DEFAULT_POLICY },
    ...{ state: 'running', phase: 'canary', wave: 0, waves: 1, waveStartedAt: at, waveLiveAt: null, baseline: null },
    ...{ reason: null, createdBy: 'u1', createdAt: at, updatedAt: at, endedAt: null },
  };
  const devices = Array.from({ length: n }, (_, i) => `dev-${i}`);
  const targets: TargetRow[] = devices.map((deviceId) => ({
    ...{ rolloutId: 'ro-f', deviceId, wave: 0, state: 'pending', fromVersion: 'v1', issuedAt: null, liveAt: null },
    ...{ report: null, frames: 0, baseFps: null, baseLatencyMs: null, rolledBackAt: null, updatedAt: at },
  }));
  await s.rollouts.create(row, targets, { at, actor: 'u1', action: 'created', reason: 'r', details: null });
  return devices;
}

export function leaseStoreTests(t: T, withTwo: WithTwo): void {
  t('leases: first acquire takes fence 1; the holder renews with the same fence and a later expiry', async () => {
    await withTwo(async (a) => {
      const first = await a.leases.acquire('controller', 'r1', LONG);
      assert.equal(first?.holder, 'r1');
      assert.equal(first?.fence, 1);
      assert.equal(first?.takenFrom, null, 'a first take has no predecessor');
      await sleep(20);
      const renewed = await a.leases.acquire('controller', 'r1', LONG);
      assert.equal(renewed?.fence, 1);
      assert.equal(renewed?.takenFrom, null);
      assert.ok(renewed!.expiresAt.getTime() > first!.expiresAt.getTime(), 'renewal moves the expiry');
      assert.equal(await a.leases.holds('controller', 'r1', 1), true);
      assert.equal(await a.leases.holds('controller', 'r1', 2), false, 'another fence is not held');
      assert.equal((await a.leases.acquire('other-group', 'r1', LONG))?.fence, 1, 'groups are independent');
    });
  });

  t('leases: contention — many concurrent attempts by two replicas, exactly one holds', async () => {
    await withTwo(async (a, b) => {
      const attempts = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 === 0 ? a.leases.acquire('controller', 'ra', LONG) : b.leases.acquire('controller', 'rb', LONG),
        ),
      );
      const winners = new Set(attempts.filter((r) => r !== null).map((r) => r.holder));
      assert.equal(winners.size, 1, `one holder, got ${[...winners].join(',')}`);
      const [winner] = [...winners];
      const row = await a.leases.get('controller');
      assert.equal(row?.holder, winner);
      assert.equal(row?.fence, 1, 'nobody took it over from the winner');
      const loser = winner === 'ra' ? { s: b, id: 'rb' } : { s: a, id: 'ra' };
      assert.equal(await loser.s.leases.acquire('controller', loser.id, LONG), null, 'a live lease is not taken');
      assert.equal(await loser.s.leases.holds('controller', loser.id, 1), false);
    });
  });

  t('leases: an expired lease is taken over with a higher fence; the stale holder is fenced out', async () => {
    await withTwo(async (a, b) => {
      const old = await a.leases.acquire('controller', 'ra', { ttlMs: 1500 });
      assert.equal(old?.fence, 1);
      assert.equal(await b.leases.acquire('controller', 'rb', LONG), null, 'not before expiry');
      await sleep(Math.max(0, old!.expiresAt.getTime() - (await a.leases.now()).getTime()) + 100);
      assert.equal(await a.leases.holds('controller', 'ra', 1), false, 'an expired lease is not held');
      const taken = await b.leases.acquire('controller', 'rb', LONG);
      assert.equal(taken?.holder, 'rb');
      assert.equal(taken?.fence, 2, 'takeover raises the fence');
      assert.deepEqual(
        taken?.takenFrom,
        { holder: 'ra', renewedAt: old!.updatedAt },
        'the predecessor and its renewal',
      );
      // The stale holder: its fenced check fails, it cannot renew, and its release does not free the new lease.
      assert.equal(await a.leases.holds('controller', 'ra', 1), false);
      assert.equal(await a.leases.acquire('controller', 'ra', LONG), null);
      assert.equal(await a.leases.release('controller', 'ra', 1), false);
      assert.equal(await b.leases.holds('controller', 'rb', 2), true);
    });
  });

  t('leases: release frees the lease at once; preempt takes even a live one (single-process SQLite)', async () => {
    await withTwo(async (a, b) => {
      const first = await a.leases.acquire('controller', 'ra', LONG);
      assert.equal(await a.leases.release('controller', 'ra', 1), true);
      assert.equal(await a.leases.holds('controller', 'ra', 1), false);
      const next = await b.leases.acquire('controller', 'rb', LONG);
      assert.equal(next?.fence, 2);
      assert.equal(next?.takenFrom?.holder, 'ra');
      assert.ok(next!.takenFrom!.renewedAt.getTime() >= first!.updatedAt.getTime(), 'released after its last renewal');
      const pre = await a.leases.acquire('controller', 'ra', { ...LONG, preempt: true });
      assert.equal(pre?.holder, 'ra');
      assert.equal(pre?.fence, 3);
      assert.equal(await b.leases.holds('controller', 'rb', 2), false);
    });
  });

  t('fencing: two engines issuing one wave command — each target moves pending → sent exactly once', async () => {
    await withTwo(async (a, b) => {
      const devices = await pendingWave(a, 6);
      const sent = { state: 'sent' as const, issuedAt: new Date(T0 + 1), updatedAt: new Date(T0 + 1) };
      const wins = await Promise.all(
        devices.flatMap((d) => [
          a.rollouts.transitionTarget('ro-f', d, 'pending', sent),
          b.rollouts.transitionTarget('ro-f', d, 'pending', sent),
        ]),
      );
      for (const [i, d] of devices.entries())
        assert.equal(Number(wins[2 * i]) + Number(wins[2 * i + 1]), 1, `${d} commanded exactly once`);
      assert.ok((await b.rollouts.targets('ro-f')).every((x) => x.state === 'sent'));
    });
  });

  t("uncounted windows: only the engine's resumed decisions with a window count", async () => {
    await withTwo(async (a) => {
      await pendingWave(a, 1);
      const w = { from: new Date(T0 + 10_000), to: new Date(T0 + 20_000) };
      const decide = (actor: string, action: string, details: unknown) =>
        a.rollouts.decide({ rolloutId: 'ro-f', at: new Date(T0 + 30_000), actor, action, reason: 'r', details });
      await decide('engine', 'resumed', { uncounted: { from: w.from.toISOString(), to: w.to.toISOString() } });
      await decide('engine', 'resumed', null); // a first start: nothing to leave out
      await decide('admin-1', 'resumed', { uncounted: { from: 'x', to: 'y' } }); // an admin's resume
      await decide('engine', 'gates-passed', { uncounted: { from: w.from.toISOString(), to: w.to.toISOString() } });
      assert.deepEqual(await a.rollouts.uncountedWindows('ro-f'), [w]);
    });
  });

  t('leases: expiry is measured on the database clock', async () => {
    await withTwo(async (a) => {
      const before = Date.now();
      const now = (await a.leases.now()).getTime();
      // Same machine here: the database clock agrees with ours to well within a few seconds.
      assert.ok(Math.abs(now - before) < 5_000, `db now ${now} vs ${before}`);
      const row = await a.leases.acquire('controller', 'ra', { ttlMs: 10_000 });
      const ttl = row!.expiresAt.getTime() - row!.updatedAt.getTime();
      assert.equal(ttl, 10_000);
    });
  });
}
