/**
 * The rollout engine with the gates that bite: a policy that holds the next wave until the QA gate has its minimum
 * reviews (instead of passing without them), with the missing count on the rollout detail; and the two-sided
 * flag-rate gate rolling back a candidate that stops flagging. Simulated agents over the embedded broker, as in
 * rollouts.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAST, approve, rolloutFixture, untilRollout, type Fixture } from './helpers/rollout-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function labelAll(f: Fixture, version: string, reviewer: string, limit: number): Promise<number> {
  const events = await f.app.ctx.store.events.list({ modelVersion: version, status: 'pending', limit });
  for (const e of events) await f.app.ctx.store.events.label(e.id, 'confirmed', reviewer, new Date());
  return events.length;
}

test(
  'QA hold: the next wave waits for the minimum reviews (the detail says how many are missing), then proceeds',
  { timeout: 90_000 },
  async () => {
    const f = await rolloutFixture({ agents: 2, flagRate: () => 0.15 });
    try {
      await f.addCandidate('v2', 2, {});
      await sleep(1500);
      const reviewer = (await f.app.ctx.store.users.findByName('admin'))!.id;
      const id = await approve(f, 'v2', { ...FAST, minReviews: 5, holdUntilMinReviews: true });
      // The canary goes live and its observation window passes, but no review exists: the wave is held.
      await untilRollout(f, id, (x) => x.decisions.some((d) => d.action === 'wave-live'), 30_000, 'canary live');
      await sleep(2500); // ≫ observeS: without the hold the next wave would have started by now
      const held = await f.rollout(id);
      assert.equal(held.rollout.state, 'running');
      assert.ok(!held.decisions.some((d) => d.action === 'wave-started'), held.decisions.map((d) => d.action).join());
      assert.equal(held.qaGate?.holds, true);
      assert.equal(held.qaGate?.minReviews, 5);
      assert.equal(held.qaGate?.candidateReviews, 0);
      assert.equal(held.qaGate?.missing, 10); // 5 on the candidate + 5 on the parent
      // QA reviews the parent's and the candidate's flags (all confirmed: the reject-rate gate then passes).
      assert.ok((await labelAll(f, 'v1', reviewer, 5)) === 5, 'the parent flagged at least 5 frames');
      const start = Date.now();
      let reviewed = 0;
      while (reviewed < 5 && Date.now() - start < 30_000) {
        reviewed += await labelAll(f, 'v2', reviewer, 5 - reviewed);
        await sleep(100);
      }
      assert.equal(reviewed, 5);
      const done = await untilRollout(f, id, (x) => x.rollout.state === 'completed', 30_000, 'completion');
      assert.equal(done.qaGate?.missing, 0);
      const passed = done.decisions.find((d) => d.action === 'gates-passed');
      assert.match(passed?.reason ?? '', /QA reject rate 0\.00% \(0\/\d+\) vs parent 0\.00% \(0\/5\)/);
    } finally {
      await f.close();
    }
  },
);

test(
  'without the hold, too few reviews pass the QA gate and the log says it was not held',
  { timeout: 60_000 },
  async () => {
    const f = await rolloutFixture({ agents: 2, flagRate: () => 0.15 });
    try {
      await f.addCandidate('v2', 2, {});
      await sleep(1500);
      const id = await approve(f, 'v2', { ...FAST, minReviews: 5 });
      const r = await untilRollout(f, id, (x) => x.rollout.state === 'completed', 30_000, 'completion');
      assert.equal(r.qaGate?.holds, false);
      assert.ok((r.qaGate?.missing ?? 0) > 0);
      assert.match(
        r.decisions.find((d) => d.action === 'gates-passed')?.reason ?? '',
        /need 5 each\); not held \(holdUntilMinReviews off\)/,
      );
    } finally {
      await f.close();
    }
  },
);

test('two-sided flag-rate gate: a candidate that stops flagging is rolled back', { timeout: 60_000 }, async () => {
  const f = await rolloutFixture({ agents: 2, flagRate: (v) => (v === 'v2' ? 0 : 0.3) });
  try {
    await f.addCandidate('v2', 2, {});
    await sleep(2000);
    const id = await approve(f, 'v2', { ...FAST, minFrames: 200, flagDropMax: 0.5 });
    const r = await untilRollout(f, id, (x) => x.rollout.state === 'rolled-back', 40_000, 'rollback');
    assert.match(
      r.decisions.find((d) => d.action === 'gate-failed')?.reason ?? '',
      /flag rate 0\.00% \(0\/\d+\) vs parent .* the candidate stopped flagging/,
    );
    assert.ok(f.agents.every((a) => a.version === 'v1'));
  } finally {
    await f.close();
  }
});
