/**
 * Rollout actions handed over through the database (src/rollouts/commands.ts), on SQLite with the embedded broker:
 * the leader's `rollout-commands` singleton applies commands rows on its engine (create, pause, a refused action with
 * its code), and the facade's relay path — what a follower runs — answers with the leader's outcome, or 503 when no
 * engine claims the command in time (expired, never applied afterwards). Two replicas on PostgreSQL:
 * test/cluster-postgres.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isControllerError } from '../src/errors.js';
import { commandTiming, rolloutActions } from '../src/rollouts/commands.js';
import type { RolloutCommandRow } from '../src/store/rollout-commands-store.js';
import { rolloutFixture } from './helpers/rollout-fixture.js';

const POLICY = { canaryDevices: 1, wavePercent: 100, observeS: 600, minWaveIntervalS: 0, minBaselineFrames: 20 };

test(
  'the leader applies commands from the table; the relay answers its outcome or 503',
  { timeout: 120_000 },
  async () => {
    const f = await rolloutFixture({ agents: 2, flagRate: () => 0.02 });
    try {
      const { app } = f;
      const commands = app.ctx.store.rolloutCommands;
      const admin = (await app.ctx.store.users.findByName('admin'))!;
      assert.ok(app.cluster.singletons.includes('rollout-commands'), app.cluster.singletons.join(','));
      await f.addCandidate('v2', 2, {});
      await app.registry.approve('v2', admin.id);
      await new Promise((r) => setTimeout(r, 1500)); // a baseline of v1 scores

      /** Polls the command until the engine has finished it (bounded). */
      const settled = async (id: string): Promise<RolloutCommandRow> => {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const row = await commands.get(id);
          if (row?.state === 'done' || row?.state === 'failed') return row;
          assert.ok(Date.now() < deadline, `command ${id} still ${row?.state}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await commands.submit('c-create', { kind: 'create', version: 'v2', overrides: POLICY }, admin.id);
      const created = await settled('c-create');
      assert.equal(created.state, 'done', created.errorMessage ?? '');
      assert.equal(created.appliedBy, app.cluster.replicaId);
      const id = created.rolloutId!;
      const detail = await f.rollout(id);
      assert.equal(detail.rollout.state, 'running');
      assert.equal(detail.rollout.createdBy, 'admin');

      await commands.submit('c-resume', { kind: 'resume', rolloutId: id, reason: null }, admin.id);
      const refused = await settled('c-resume');
      assert.deepEqual([refused.state, refused.errorCode], ['failed', 'LW_CTRL_ROLLOUT_STATE']);
      assert.equal(refused.errorMessage, 'cannot resume a running rollout');

      // The follower's path (leads: false): through the table, applied by this app's engine, answered with its outcome.
      const relayed = rolloutActions(app.ctx, app.rollouts, () => false);
      await relayed.act(id, 'pause', admin.id, 'shift change');
      assert.equal((await f.rollout(id)).rollout.state, 'paused');
      assert.ok((await f.rollout(id)).decisions.some((d) => d.action === 'paused' && d.reason === 'shift change'));
      await assert.rejects(relayed.act('no-such', 'abort', admin.id, null), (e: unknown) =>
        isControllerError(e, 'LW_CTRL_NOT_FOUND'),
      );

      // Nobody applies it (the singletons stopped, as on a replica that lost the lease): 503 after the claim window,
      // the command expired, and a leader starting afterwards does not apply it.
      await app.cluster.halt();
      const short = { ...commandTiming(app.ctx), claimWithinMs: 600 };
      const orphaned = rolloutActions(app.ctx, app.rollouts, () => false, short);
      await assert.rejects(orphaned.act(id, 'resume', admin.id, null), (e: unknown) =>
        isControllerError(e, 'LW_CTRL_NOT_LEADER'),
      );
      const [expired] = await commands.recent(1);
      assert.deepEqual([expired?.command.kind, expired?.state, expired?.appliedBy], ['resume', 'failed', null]);
      await app.cluster.start();
      assert.equal(app.cluster.isLeader, true);
      await new Promise((r) => setTimeout(r, 500)); // ten engine ticks
      assert.equal((await commands.get(expired!.id))?.state, 'failed');
      assert.equal((await f.rollout(id)).rollout.state, 'paused', 'the expired resume was not applied');
    } finally {
      await f.close();
    }
  },
);
