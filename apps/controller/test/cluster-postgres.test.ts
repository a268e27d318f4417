/**
 * Two controller replicas (two build() apps, each with its own store connection) on one PostgreSQL: exactly one
 * leads; a signed-in session and its CSRF token work on either replica; when the leader dies without releasing its
 * lease (halt: renewals and singletons stop, as with kill -9) the other replica takes over within ttl + renew with
 * a higher fence, and — with a shared Mosquitto — its rollout engine resumes the running rollout from the database.
 * Rollout actions work on either replica: a follower hands them to the leader's engine through the database and
 * answers what the leader would (the rollout, or the same coded error); with no leader, 503 and never applied later.
 * Short ttl/renew keep the test quick; the bounds scale with them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import type { RolloutDetailBody } from '@linewatch/protocol/http';
import type { App } from '../src/app.js';
import { isControllerError } from '../src/errors.js';
import { openPostgresStore } from '../src/store/open-postgres.js';
import type { Store } from '../src/store/store.js';
import { login, testApp } from './helpers/http.js';
import { MOSQUITTO, MOSQUITTO_SKIP, startMosquitto } from './helpers/mosquitto.js';
import { waitFor } from './helpers/mqtt.js';
import { PG_SKIP_REASON, findPgBin, startPgCluster, type PgCluster } from './helpers/pg-cluster.js';
import { rolloutFixture, untilRollout } from './helpers/rollout-fixture.js';

const available = findPgBin() !== null;
let pgc: PgCluster | null = null;
before(async () => {
  if (available) pgc = await startPgCluster();
});
after(async () => {
  await pgc?.stop();
});

const TTL = 2000;
const RENEW = 400;
const cluster = (replicaId: string) => ({ replicaId, leaseTtlMs: TTL, renewMs: RENEW });

/** Halts the leader and measures how long until the other replica leads. */
async function takeover(leader: App, follower: App): Promise<number> {
  // From the moment it dies: its last renewal was at most `renew` before, its singletons stop meanwhile.
  const t0 = performance.now();
  await leader.cluster.halt();
  await waitFor(() => follower.cluster.isLeader, TTL + RENEW + 10_000, 'takeover');
  return performance.now() - t0;
}

/** The takeover window: not before the dead leader's lease expired, and at most ttl + renew (+ load slack) after. */
function assertTakeoverTime(ms: number): void {
  assert.ok(ms >= TTL - RENEW - 250, `taken over after ${ms.toFixed(0)} ms: before the lease could have expired`);
  assert.ok(ms <= TTL + RENEW + 1500, `taken over after ${ms.toFixed(0)} ms: later than ttl + renew`);
}

test(
  'postgresql: two replicas — one leader; sessions and CSRF across replicas; a dead leader is replaced in time',
  { skip: available ? false : PG_SKIP_REASON, timeout: 120_000 },
  async () => {
    const url = await pgc!.createDatabase('replicas');
    const stores: Store[] = [await openPostgresStore({ url }), await openPostgresStore({ url })];
    const a = await testApp({ store: stores[0], overrides: { cluster: cluster('a') } });
    const b = await testApp({ store: stores[1], overrides: { cluster: cluster('b') } });
    try {
      assert.equal(a.app.cluster.isLeader, true, 'the first replica leads');
      assert.equal(b.app.cluster.isLeader, false, 'the second waits');
      assert.equal((await stores[1]!.leases.get('controller'))?.holder, 'a');

      // Sessions live in the database: sign in on A, read and write on B with A's cookie and CSRF token.
      const s = await login(a.app, 'admin', a.adminPassword);
      const me = await b.app.inject({ method: 'GET', url: '/api/auth/session', headers: { cookie: s.cookie } });
      assert.equal(me.statusCode, 200, me.body);
      const payload = { username: 'qa-1', password: 'pw-qa-1-0123456789', role: 'qa', lines: ['line-1'] };
      const noCsrf = await b.app.inject({ method: 'POST', url: '/api/users', headers: { cookie: s.cookie }, payload });
      assert.equal(noCsrf.json<{ code: string }>().code, 'LW_CTRL_CSRF');
      const created = await b.app.inject({ method: 'POST', url: '/api/users', headers: s.headers, payload });
      assert.equal(created.statusCode, 201, created.body);

      const ms = await takeover(a.app, b.app);
      console.log(`# takeover after ${ms.toFixed(0)} ms (ttl ${TTL} ms, renew ${RENEW} ms)`);
      assertTakeoverTime(ms);
      assert.equal(b.app.cluster.fence, 2, 'the takeover raised the fence');
      await b.app.cluster.assertLeader();
      await assert.rejects(a.app.cluster.assertLeader(), (e: unknown) => isControllerError(e, 'LW_CTRL_NOT_LEADER'));
      // The halted replica still serves the API from the database.
      const list = await a.app.inject({ method: 'GET', url: '/api/users', headers: s.headers });
      assert.equal(list.statusCode, 200, list.body);
    } finally {
      await b.app.close();
      await a.app.close();
      for (const st of stores) await st.close();
    }
  },
);

/** The newest rollout command: what was asked of the leader through the database, and who applied it. */
async function lastCommand(store: Store) {
  const [c] = await store.rolloutCommands.recent(1);
  return c && { kind: c.command.kind, state: c.state, appliedBy: c.appliedBy, rolloutId: c.rolloutId };
}

/** The leader's answer to a POST and the follower's (relayed through the database) are the same coded error. */
async function sameAnswer(
  leader: App,
  follower: App,
  headers: Record<string, string>,
  url: string,
  status: number,
  code: string,
): Promise<void> {
  const [direct, relayed] = [
    await leader.inject({ method: 'POST', url, headers, payload: {} }),
    await follower.inject({ method: 'POST', url, headers, payload: {} }),
  ];
  assert.equal(direct.statusCode, status, direct.body);
  assert.equal(relayed.statusCode, status, relayed.body);
  const pick = (b: { code: string; message: string }) => ({ code: b.code, message: b.message });
  assert.deepEqual(pick(relayed.json()), pick(direct.json()));
  assert.equal(relayed.json<{ code: string }>().code, code);
  assert.equal((await lastCommand(follower.ctx.store))?.appliedBy, leader.cluster.replicaId, 'the leader applied it');
}

const ROLLOUT_POLICY = {
  canaryDevices: 1,
  wavePercent: 100,
  // Long observation: the rollout is still running (canary observed) when the leader dies.
  observeS: 600,
  minFrames: 30,
  minWaveIntervalS: 0,
  minBaselineFrames: 50,
  healthGraceS: 0.6,
};

test(
  'postgresql + mosquitto: rollout actions on either replica, applied by the leader; the new leader resumes the rollout',
  { skip: !available ? PG_SKIP_REASON : MOSQUITTO ? false : MOSQUITTO_SKIP, timeout: 150_000 },
  async () => {
    const mosq = (await startMosquitto())!;
    const url = await pgc!.createDatabase('replicas_rollout');
    const stores: Store[] = [await openPostgresStore({ url }), await openPostgresStore({ url })];
    const mqtt = { enabled: true, mode: 'external' as const, url: mosq.url, sharedGroup: 'ctl' };
    try {
      const f = await rolloutFixture({
        agents: 2,
        flagRate: () => 0.05,
        mqttUrl: mosq.url,
        build: { store: stores[0], overrides: { mqtt, cluster: cluster('a') } },
      });
      const b = await testApp({
        store: stores[1],
        overrides: {
          mqtt,
          cluster: cluster('b'),
          registry: { trustedKeys: [f.keys.pem] },
          rollouts: { tickMs: 50 },
          ingest: { flushIntervalMs: 100, ackMaxDelayMs: 5 },
        },
      });
      try {
        await b.app.listen({ host: '127.0.0.1', port: 0 });
        assert.equal(f.app.cluster.isLeader, true);
        assert.equal(b.app.cluster.isLeader, false);
        await f.addCandidate('v2', 2, {});
        await new Promise((r) => setTimeout(r, 1500));
        // Approved through the follower: the leader's engine plans and starts the rollout.
        const approve = { method: 'POST' as const, url: '/api/models/v2/approve', headers: f.admin.headers };
        const res = await b.app.inject({ ...approve, payload: { policy: ROLLOUT_POLICY } });
        assert.equal(res.statusCode, 200, res.body);
        const id = res.json<{ rolloutId: string }>().rolloutId;
        assert.deepEqual(await lastCommand(stores[1]!), {
          kind: 'create',
          state: 'done',
          appliedBy: 'a',
          rolloutId: id,
        });
        // A refused action answers the same on either replica: the follower relays the leader's coded error.
        await sameAnswer(f.app, b.app, f.admin.headers, `/api/rollouts/${id}/resume`, 409, 'LW_CTRL_ROLLOUT_STATE');
        await sameAnswer(f.app, b.app, f.admin.headers, '/api/rollouts/no-such/pause', 404, 'LW_CTRL_NOT_FOUND');
        await untilRollout(f, id, (x) => x.decisions.some((d) => d.action === 'wave-live'), 30_000, 'canary live');
        const canary = f.agents.filter((ag) => ag.received.some((m) => m.rolloutId === id));
        assert.equal(canary.length, 1, 'one canary device was commanded');

        const diedAt = Date.now();
        const ms = await takeover(f.app, b.app);
        console.log(`# rollout takeover after ${ms.toFixed(0)} ms`);
        assertTakeoverTime(ms);
        const resumed = await untilRollout(
          f,
          id,
          (x) => x.decisions.some((d) => d.action === 'resumed' && d.actor === 'engine'),
          10_000,
          'the new leader resuming',
        );
        assert.equal(resumed.rollout.state, 'running');
        // The frames of the leaderless window were not counted: its flags are left out (from A's last renewal on).
        const gap = await stores[1]!.rollouts.uncountedWindows(id);
        assert.equal(gap.length, 1, 'one uncounted window, recorded by the new leader');
        const from = gap[0]!.from.getTime();
        assert.ok(from <= diedAt + 50 && from >= diedAt - RENEW - 1000, `window from ${from - diedAt} ms of the death`);
        assert.ok(gap[0]!.to.getTime() >= diedAt + TTL - RENEW - 250, 'to the new leader resuming');
        assert.equal(
          canary[0]!.received.filter((m) => m.rolloutId === id).length,
          1,
          'the live canary is not commanded again',
        );
        // The deposed replica (A, halted) still takes rollout actions: B's engine applies them.
        const act = (app: App, action: string) =>
          app.inject({ method: 'POST', url: `/api/rollouts/${id}/${action}`, headers: f.admin.headers, payload: {} });
        const paused = await act(f.app, 'pause');
        assert.equal(paused.statusCode, 200, paused.body);
        assert.equal(paused.json<RolloutDetailBody>().rollout.state, 'paused');
        assert.deepEqual(await lastCommand(stores[0]!), {
          kind: 'pause',
          state: 'done',
          appliedBy: 'b',
          rolloutId: id,
        });
        assert.ok((await f.rollout(id)).decisions.some((d) => d.action === 'paused' && d.actor === 'admin'));

        // Nobody leads (B halted too): the action waits for a leader, answers 503, and is not applied later.
        await b.app.cluster.halt();
        const t0 = performance.now();
        const orphan = await act(f.app, 'resume');
        const waitedMs = performance.now() - t0;
        assert.equal(orphan.statusCode, 503, orphan.body);
        assert.equal(orphan.json<{ code: string }>().code, 'LW_CTRL_NOT_LEADER');
        assert.match(orphan.json<{ message: string }>().message, /no leader replica took the rollout resume/);
        assert.ok(waitedMs >= TTL + RENEW, `gave up after ${waitedMs.toFixed(0)} ms: sooner than a takeover takes`);
        const expired = await lastCommand(stores[0]!);
        assert.deepEqual(expired, { kind: 'resume', state: 'failed', appliedBy: null, rolloutId: null });
        await b.app.cluster.start();
        await waitFor(() => b.app.cluster.isLeader, 10_000, 'B leading again');
        await new Promise((r) => setTimeout(r, 1000)); // many engine ticks and command drains
        assert.equal((await f.rollout(id)).rollout.state, 'paused', 'the expired resume was not applied');
        assert.equal((await lastCommand(stores[1]!))?.state, 'failed');

        const aborted = await act(f.app, 'abort');
        assert.equal(aborted.statusCode, 200, aborted.body);
        assert.equal(aborted.json<RolloutDetailBody>().rollout.state, 'aborted');
        assert.deepEqual(await lastCommand(stores[1]!), {
          kind: 'abort',
          state: 'done',
          appliedBy: 'b',
          rolloutId: id,
        });
      } finally {
        await b.app.close();
        await f.close();
      }
    } finally {
      for (const st of stores) await st.close();
      await mosq.stop();
    }
  },
);
