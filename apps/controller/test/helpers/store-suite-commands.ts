/**
 * Conformance (both backends): rollout commands handed from a replica that does not lead to the leader's engine
 * (src/rollouts/commands.ts). Two stores on one database stand for two replicas: a command is claimed by exactly one
 * engine, finished only by its claimer, handed back when that engine stopped first, and a command expired by the
 * waiting replica (or by age) can no longer be claimed.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RolloutCommand } from '../../src/store/rollout-commands-store.js';
import type { Store } from '../../src/store/store.js';

type T = (title: string, fn: () => Promise<void>) => void;
type WithTwo = (fn: (a: Store, b: Store) => Promise<void>) => Promise<void>;

const LONG = 60_000;
const pause: RolloutCommand = { kind: 'pause', rolloutId: 'ro-1', reason: 'line stop' };
const create: RolloutCommand = { kind: 'create', version: 'v2', overrides: { observeS: 5 } };
const ok = (rolloutId: string) => ({ rolloutId, errorCode: null, errorMessage: null });

export function rolloutCommandTests(t: T, withTwo: WithTwo): void {
  t('rollout commands: submit → pending with its arguments; claim, finish done with the rollout id', async () => {
    await withTwo(async (a, b) => {
      const sent = await a.rolloutCommands.submit('c1', pause, 'u1');
      assert.equal(sent.state, 'pending');
      assert.deepEqual(sent.command, pause);
      await a.rolloutCommands.submit('c2', create, 'u1');
      const fleetWide: RolloutCommand = { kind: 'create', version: 'v3', line: null, overrides: {} };
      await a.rolloutCommands.submit('c3', fleetWide, 'u1');
      assert.deepEqual((await b.rolloutCommands.get('c2'))?.command, create, 'no line: the model line');
      assert.deepEqual((await b.rolloutCommands.get('c3'))?.command, fleetWide, 'line null: the whole fleet');
      assert.deepEqual(
        (await b.rolloutCommands.pending(LONG)).map((c) => c.id),
        ['c1', 'c2', 'c3'],
        'oldest first',
      );
      assert.equal(await b.rolloutCommands.claim('c1', 'rb', LONG), true);
      assert.equal(await a.rolloutCommands.finish('c1', 'ra', ok('ro-1')), false, 'only the claimer finishes');
      assert.equal(await b.rolloutCommands.finish('c1', 'rb', ok('ro-1')), true);
      const done = await a.rolloutCommands.get('c1');
      assert.equal(done?.state, 'done');
      assert.equal(done?.appliedBy, 'rb');
      assert.equal(done?.rolloutId, 'ro-1');
      assert.ok(done?.doneAt instanceof Date);
      assert.equal(await b.rolloutCommands.finish('c1', 'rb', ok('ro-1')), false, 'done once');
      const recent = await b.rolloutCommands.recent(10);
      assert.deepEqual(recent.map((c) => c.id).sort(), ['c1', 'c2', 'c3']);
      assert.equal(recent.find((c) => c.id === 'c1')?.appliedBy, 'rb');
      assert.equal((await b.rolloutCommands.recent(2)).length, 2, 'bounded');
      assert.deepEqual(
        (await a.rolloutCommands.pending(LONG)).map((c) => c.id),
        ['c2', 'c3'],
      );
    });
  });

  t('rollout commands: two engines claiming the same commands — each is claimed exactly once', async () => {
    await withTwo(async (a, b) => {
      const ids = Array.from({ length: 6 }, (_, i) => `c${i}`);
      for (const id of ids) await a.rolloutCommands.submit(id, pause, 'u1');
      const wins = await Promise.all(
        ids.flatMap((id) => [a.rolloutCommands.claim(id, 'ra', LONG), b.rolloutCommands.claim(id, 'rb', LONG)]),
      );
      for (const [i, id] of ids.entries())
        assert.equal(Number(wins[2 * i]) + Number(wins[2 * i + 1]), 1, `${id} claimed exactly once`);
      assert.deepEqual(await a.rolloutCommands.pending(LONG), []);
    });
  });

  t('rollout commands: a failed outcome keeps the code; a stopped engine hands its claim back', async () => {
    await withTwo(async (a, b) => {
      await a.rolloutCommands.submit('c1', pause, 'u1');
      assert.equal(await b.rolloutCommands.claim('c1', 'rb', LONG), true);
      assert.equal(await b.rolloutCommands.unclaim('c1', 'rb'), true);
      assert.equal((await a.rolloutCommands.get('c1'))?.state, 'pending');
      assert.equal(await a.rolloutCommands.claim('c1', 'ra', LONG), true, 'the next leader claims it');
      const refused = {
        rolloutId: null,
        errorCode: 'LW_CTRL_ROLLOUT_STATE',
        errorMessage: 'cannot pause a paused rollout',
      };
      assert.equal(await a.rolloutCommands.finish('c1', 'ra', refused), true);
      const row = await b.rolloutCommands.get('c1');
      assert.equal(row?.state, 'failed');
      assert.equal(row?.errorCode, 'LW_CTRL_ROLLOUT_STATE');
      assert.equal(row?.errorMessage, 'cannot pause a paused rollout');
      assert.equal(row?.rolloutId, null);
    });
  });

  t('rollout commands: expiry — by id or by age, pending only; an expired command is never claimed', async () => {
    await withTwo(async (a, b) => {
      await a.rolloutCommands.submit('c1', pause, 'u1');
      await a.rolloutCommands.submit('c2', pause, 'u1');
      await a.rolloutCommands.submit('c3', pause, 'u1');
      assert.equal(await b.rolloutCommands.claim('c3', 'rb', LONG), true);
      assert.equal(await a.rolloutCommands.expire({ id: 'c1' }, 'LW_CTRL_NOT_LEADER', 'nobody leads'), 1);
      assert.equal(await b.rolloutCommands.claim('c1', 'rb', LONG), false, 'expired: not claimed');
      assert.equal(await a.rolloutCommands.expire({ id: 'c3' }, 'LW_CTRL_NOT_LEADER', 'x'), 0, 'claimed: untouched');
      assert.equal((await a.rolloutCommands.get('c1'))?.errorCode, 'LW_CTRL_NOT_LEADER');
      await sleep(300);
      assert.equal(await b.rolloutCommands.claim('c2', 'rb', 200), false, 'older than the claim window');
      assert.deepEqual(await b.rolloutCommands.pending(200), [], 'too old to be offered');
      assert.equal(await b.rolloutCommands.expire({ olderThanMs: 200 }, 'LW_CTRL_NOT_LEADER', 'stale'), 1);
      assert.deepEqual(
        [await a.rolloutCommands.get('c2'), await a.rolloutCommands.get('c3')].map((c) => c?.state),
        ['failed', 'applying'],
      );
    });
  });
}
