/**
 * Staged rollouts end to end at controller level: simulated agents over real MQTT against the embedded broker,
 * real HTTP package downloads (sha256 + signature checked by the agent), stub inference with a per-version flag rate.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RolloutDetailBody } from '@linewatch/protocol/http';
import { MemoryFileStore } from '../src/files/file-store.js';
import { openSqliteStore } from '../src/store/open-sqlite.js';
import { userSession } from './helpers/http.js';
import { FAST, approve, rolloutFixture, untilRollout } from './helpers/rollout-fixture.js';

/** Baseline: let the agents run the parent long enough that the window holds enough frames. */
const warmUp = (ms = 1500) => new Promise((r) => setTimeout(r, ms));
const actions = (r: RolloutDetailBody) => r.decisions.map((d) => d.action);

test('a staged rollout reaches every device live, canary first, then waves', { timeout: 60_000 }, async () => {
  const f = await rolloutFixture({ agents: 5, flagRate: () => 0.05 });
  try {
    await f.addCandidate('v2', 2, { pixelAuroc: 0.9 });
    const model = await f.app.registry.get('v2');
    assert.equal(model?.eligible, true, model?.eligibility);
    await warmUp();
    const id = await approve(f, 'v2', FAST);
    const r = await untilRollout(f, id, (x) => x.rollout.state === 'completed', 30_000, 'completion');
    assert.deepEqual(new Set(f.agents.map((a) => a.version)), new Set(['v2']));
    assert.equal(r.rollout.waves, 3); // canary 1, then waves of ceil(50% of 5) = 3 → [1, 3, 1]
    const a = actions(r);
    assert.equal(a[0], 'created');
    assert.equal(a[1], 'canary-started');
    assert.ok(a.indexOf('wave-started') > a.indexOf('wave-live'), 'waves start only after the canary is live');
    assert.equal(a.at(-1), 'completed');
    assert.ok(r.decisions.every((d) => d.reason.length > 0));
    // Each wave moved on with every gate's evidence: health per device, flag rate vs the parent, QA.
    const passed = r.decisions.filter((d) => d.action === 'gates-passed');
    assert.equal(passed.length, 3);
    const live = [1, 4, 5]; // devices running the candidate when each wave's gates passed
    passed.forEach((d, i) =>
      assert.match(
        d.reason,
        new RegExp(
          `^health: ${live[i]} device\\(s\\) within bounds \\(min fps 40\\.0, max p99 10\\.0 ms\\); flag rate .* vs parent .*; QA reject rate`,
        ),
      ),
    );
    // No device of wave w got its command before every device of wave w-1 was live.
    for (const t of r.targets.filter((x) => x.wave > 0)) {
      const prev = r.targets.filter((x) => x.wave === t.wave - 1);
      for (const p of prev)
        assert.ok(p.liveAt! <= t.issuedAt!, `${t.deviceId} (wave ${t.wave}) issued before ${p.deviceId} was live`);
    }
    // Every agent downloaded over HTTP exactly once and verified the signature (the sim refuses otherwise).
    assert.ok(f.agents.every((x) => x.downloads === 1));
    const m = await f.app.inject({ method: 'GET', url: '/api/models/v2', headers: f.admin.headers });
    assert.equal((m.json() as { status: string }).status, 'deployed');
    assert.equal((m.json() as { approvedBy: string | null }).approvedBy !== null, true);
  } finally {
    await f.close();
  }
});

test(
  'an ineligible (worse) candidate is blocked: no approval, no rollout, no device touched',
  { timeout: 30_000 },
  async () => {
    const f = await rolloutFixture({ agents: 2, flagRate: () => 0.05 });
    try {
      await f.addCandidate('v2', 2, { pixelAuroc: 0.7 });
      const m = await f.app.registry.get('v2');
      assert.equal(m?.eligible, false);
      assert.equal(m?.status, 'ineligible');
      assert.match(m!.eligibility, /pixelAuroc 0\.7000 < parent 0\.8500/);
      const res = await f.app.inject({
        method: 'POST',
        url: '/api/models/v2/approve',
        headers: f.admin.headers,
        payload: {},
      });
      assert.equal(res.statusCode, 409);
      assert.equal((res.json() as { code: string }).code, 'LW_CTRL_MODEL_INELIGIBLE');
      const start = await f.app.inject({
        method: 'POST',
        url: '/api/rollouts',
        headers: f.admin.headers,
        payload: { version: 'v2' },
      });
      assert.equal(start.statusCode, 409);
      // A candidate whose build does not increase is ineligible as well (agents would refuse it as a downgrade).
      await f.addCandidate('v3', 1, {});
      assert.match((await f.app.registry.get('v3'))!.eligibility, /build 1 is not above the parent's 1/);
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(f.agents.every((a) => a.received.length === 0 && a.version === 'v1'));
    } finally {
      await f.close();
    }
  },
);

test(
  'a candidate that raises the flag rate on the canary is rolled back; no device outside the canary got it',
  { timeout: 60_000 },
  async () => {
    const f = await rolloutFixture({ agents: 5, flagRate: (v) => (v === 'v2' ? 0.4 : 0.03) });
    try {
      await f.addCandidate('v2', 2, {});
      await warmUp();
      const id = await approve(f, 'v2', { ...FAST, canaryDevices: 2, minFrames: 60 });
      const r = await untilRollout(f, id, (x) => x.rollout.state === 'rolled-back', 30_000, 'automatic rollback');
      const failed = r.decisions.find((d) => d.action === 'gate-failed');
      assert.ok(failed, actions(r).join(','));
      assert.match(failed.reason, /flag rate/);
      const canary = new Set(r.targets.filter((t) => t.wave === 0).map((t) => t.deviceId));
      assert.equal(canary.size, 2);
      for (const a of f.agents) {
        if (canary.has(a.id)) {
          assert.equal(a.version, 'v1', `${a.id} rolled back`);
          assert.ok(
            a.received.some((d) => d.version === 'v1' && d.rollback),
            `${a.id} got a rollback command`,
          );
        } else assert.equal(a.received.length, 0, `${a.id} is outside the canary and must never get a desiredModel`);
      }
      assert.ok(r.targets.filter((t) => !canary.has(t.deviceId)).every((t) => t.state === 'pending'));
      assert.equal((await f.app.registry.get('v2'))?.status, 'rolled-back');
    } finally {
      await f.close();
    }
  },
);

test(
  'manual pause holds the waves, resume continues, abort stops, rollback returns the updated devices',
  { timeout: 60_000 },
  async () => {
    const f = await rolloutFixture({ agents: 4, flagRate: () => 0.05 });
    try {
      await f.addCandidate('v2', 2, {});
      await warmUp();
      const id = await approve(f, 'v2', { ...FAST, waveDevices: 1, observeS: 0.2 });
      const act = async (a: string, expect = 200) => {
        const res = await f.app.inject({
          method: 'POST',
          url: `/api/rollouts/${id}/${a}`,
          headers: f.admin.headers,
          payload: { reason: `test ${a}` },
        });
        assert.equal(res.statusCode, expect, res.body);
        return res.json() as RolloutDetailBody;
      };
      await act('pause');
      await act('pause', 409);
      await new Promise((r) => setTimeout(r, 1500)); // long enough for the canary to be live and observed
      let r = await f.rollout(id);
      assert.equal(r.rollout.state, 'paused');
      assert.equal(r.rollout.wave, 0, 'no wave starts while paused');
      assert.equal(r.targets.filter((t) => t.state === 'pending').length, 3);
      await act('resume');
      r = await untilRollout(f, id, (x) => x.rollout.wave >= 1, 20_000, 'wave 1 after resume');
      r = await act('abort');
      assert.equal(r.rollout.state, 'aborted');
      const pending = r.targets.filter((t) => t.state === 'pending').map((t) => t.deviceId);
      assert.ok(pending.length >= 1);
      await new Promise((r2) => setTimeout(r2, 500));
      assert.equal((await f.rollout(id)).rollout.wave, r.rollout.wave, 'no further waves after abort');
      await act('rollback');
      r = await untilRollout(f, id, (x) => x.rollout.state === 'rolled-back', 20_000, 'manual rollback');
      assert.ok(f.agents.every((a) => a.version === 'v1'));
      for (const a of f.agents) if (pending.includes(a.id)) assert.equal(a.received.length, 0);
      assert.deepEqual(
        actions(r).filter((x) => ['paused', 'resumed', 'aborted', 'manual-rollback', 'rolled-back'].includes(x)),
        ['paused', 'resumed', 'aborted', 'manual-rollback', 'rolled-back'],
      );
      const manual = r.decisions.filter((d) => ['paused', 'resumed', 'aborted', 'manual-rollback'].includes(d.action));
      assert.ok(
        manual.every((d) => d.actor === 'admin' && d.reason.includes('test')),
        'manual decisions carry who and why',
      );
      // QA users see the rollout but cannot act on it.
      const qa = await userSession(f.app, f.admin, 'qa1', 'qa', ['line-1']);
      assert.equal(
        (await f.app.inject({ method: 'GET', url: `/api/rollouts/${id}`, headers: qa.headers })).statusCode,
        200,
      );
      const denied = await f.app.inject({
        method: 'POST',
        url: `/api/rollouts/${id}/pause`,
        headers: qa.headers,
        payload: {},
      });
      assert.equal(denied.statusCode, 403);
    } finally {
      await f.close();
    }
  },
);

test('a controller restart mid-rollout resumes from the recorded state', { timeout: 90_000 }, async () => {
  const store = await openSqliteStore({ path: ':memory:', busyTimeoutMs: 5000 }); // a temp file, shared by both runs
  const files = new MemoryFileStore();
  try {
    const f1 = await rolloutFixture({ agents: 4, flagRate: () => 0.05, build: { store, files } });
    let id: string;
    try {
      await f1.addCandidate('v2', 2, {});
      await warmUp();
      id = await approve(f1, 'v2', { ...FAST, waveDevices: 1, observeS: 1.5 });
      await untilRollout(f1, id, (x) => actions(x).includes('wave-live'), 20_000, 'canary live');
    } finally {
      await f1.close();
    }
    const before = await store.rollouts.get(id);
    assert.equal(before?.state, 'running');
    assert.equal(before?.wave, 0);
    const f2 = await rolloutFixture({
      agents: 4,
      flagRate: () => 0.05,
      build: { store, files },
      reuseAgents: f1.agents,
      skipParent: true,
      keys: f1.keys,
      adminPassword: f1.adminPassword,
    });
    try {
      const r = await untilRollout(f2, id, (x) => x.rollout.state === 'completed', 40_000, 'completion after restart');
      const a = actions(r);
      assert.ok(a.indexOf('resumed') > a.indexOf('wave-live'), a.join(','));
      assert.ok(
        a.lastIndexOf('wave-started') > a.indexOf('resumed'),
        'later waves started by the restarted controller',
      );
      assert.equal(a.filter((x) => x === 'canary-started').length, 1, 'the canary was not restarted');
      assert.ok(f2.agents.every((x) => x.version === 'v2'));
    } finally {
      await f2.close();
    }
  } finally {
    await store.close();
  }
});

test(
  'shadow phase: a candidate that would flag far more on the same frames is stopped before it goes live',
  { timeout: 60_000 },
  async () => {
    const f = await rolloutFixture({ agents: 3, flagRate: (v) => (v === 'v2' ? 0.4 : 0.03) });
    try {
      await f.addCandidate('v2', 2, {});
      await warmUp();
      const id = await approve(f, 'v2', { ...FAST, shadow: { durationS: 20, minFrames: 40 } });
      const r = await untilRollout(f, id, (x) => x.rollout.state === 'rolled-back', 30_000, 'shadow rollback');
      const failed = r.decisions.find((d) => d.action === 'gate-failed');
      assert.match(failed?.reason ?? '', /shadow flag rate/);
      const canary = f.agents.find((a) => a.received.some((d) => d.version === 'v2'))!;
      assert.ok(canary.received.find((d) => d.version === 'v2')?.shadow, 'the canary was asked to shadow first');
      assert.ok(canary.reports.some((x) => x.version === 'v2' && x.state === 'shadow'));
      assert.ok(!canary.reports.some((x) => x.version === 'v2' && x.state === 'live'), 'the candidate never went live');
      assert.ok(f.agents.every((a) => a.version === 'v1'));
      assert.equal(f.agents.filter((a) => a.received.length > 0).length, 1, 'only the canary was touched');
    } finally {
      await f.close();
    }
  },
);

test(
  'health gate: latency that stays above its bound after the grace period rolls the canary back; a blip does not',
  { timeout: 60_000 },
  async () => {
    let blip = true;
    const f = await rolloutFixture({
      agents: 3,
      flagRate: () => 0.05,
      // v2 is slow for good; v3 has one slow health window right after going live, then recovers.
      latencyFor: (v) => (v === 'v2' ? 200 : v === 'v3' && blip ? 200 : 10),
    });
    try {
      await f.addCandidate('v2', 2, {});
      await warmUp();
      const id = await approve(f, 'v2', { ...FAST, healthGraceS: 0.3, healthSustainS: 1 });
      const r = await untilRollout(f, id, (x) => x.rollout.state === 'rolled-back', 30_000, 'latency rollback');
      assert.match(
        r.decisions.find((d) => d.action === 'gate-failed')?.reason ?? '',
        /latency p99 200\.0 ms > 30\.0 ms .* for \d+ s/,
      );
      assert.equal(f.agents.filter((a) => a.received.length > 0).length, 1, 'only the canary was touched');
      assert.ok(f.agents.every((a) => a.version === 'v1'));

      await f.addCandidate('v3', 3, {});
      setTimeout(() => (blip = false), 1500);
      const id3 = await approve(f, 'v3', { ...FAST, healthGraceS: 0.3, healthSustainS: 3 });
      const r3 = await untilRollout(
        f,
        id3,
        (x) => ['completed', 'rolled-back'].includes(x.rollout.state),
        30_000,
        'v3 outcome',
      );
      assert.equal(r3.rollout.state, 'completed', r3.decisions.map((d) => `${d.action}: ${d.reason}`).join('\n'));
    } finally {
      await f.close();
    }
  },
);

test(
  'QA gate: once enough reviews exist, a candidate whose flags QA mostly rejects is rolled back',
  { timeout: 60_000 },
  async () => {
    const f = await rolloutFixture({ agents: 3, flagRate: () => 0.15 });
    try {
      await f.addCandidate('v2', 2, {});
      await warmUp();
      const reviewer = (await f.app.ctx.store.users.findByName('admin'))!.id;
      // The parent's flags: mostly confirmed by QA.
      const parentEvents = await f.app.ctx.store.events.list({ modelVersion: 'v1', limit: 20 });
      assert.ok(parentEvents.length >= 10, `${parentEvents.length} parent events`);
      for (const [i, e] of parentEvents.entries())
        await f.app.ctx.store.events.label(e.id, i % 10 === 0 ? 'rejected' : 'confirmed', reviewer, new Date());
      const id = await approve(f, 'v2', { ...FAST, observeS: 60, minReviews: 8, maxRejectRateIncrease: 0.2 });
      // QA rejects everything the candidate flags, as fast as it arrives.
      const start = Date.now();
      let r = await f.rollout(id);
      while (r.rollout.state !== 'rolled-back' && Date.now() - start < 30_000) {
        for (const e of await f.app.ctx.store.events.list({ modelVersion: 'v2', status: 'pending', limit: 50 })) {
          await f.app.ctx.store.events.label(e.id, 'rejected', reviewer, new Date());
        }
        await new Promise((res) => setTimeout(res, 100));
        r = await f.rollout(id);
      }
      assert.equal(r.rollout.state, 'rolled-back', actions(r).join(','));
      assert.match(
        r.decisions.find((d) => d.action === 'gate-failed')?.reason ?? '',
        /QA reject rate 100\.00% \(\d+\/\d+\) vs parent \d+\.\d+%/,
      );
      assert.ok(f.agents.every((a) => a.version === 'v1'));
    } finally {
      await f.close();
    }
  },
);
