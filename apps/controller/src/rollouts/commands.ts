/**
 * Rollout admin actions on any replica (issue 18: every replica serves the same API, no sticky sessions). Only the
 * leader's engine applies actions, on its serial queue. The leader applies its own requests directly; any other
 * replica hands the action over through the database (store/rollout-commands-store.ts) and waits for the outcome,
 * then answers exactly what the leader would have: the rollout, or the same coded error.
 *
 * The wait is bounded by a takeover (lease ttl + renew) plus a few ticks: a command sent while the leader is dying is
 * applied by its successor. When no engine claims it in time the waiting replica answers 503 LW_CTRL_NOT_LEADER and
 * marks the command failed (a conditional update racing the claim: exactly one wins), so a late leader never
 * applies a stale click.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ctx } from '../context.js';
import { ctrlError, ERRORS, isControllerError, type ErrorCode } from '../errors.js';
import type { Singleton } from '../cluster/index.js';
import type {
  RolloutActionKind,
  RolloutCommand,
  RolloutCommandRow,
  RolloutCommandsStore,
} from '../store/rollout-commands-store.js';
import type { RolloutEngine } from './engine.js';

export interface RolloutActions {
  /** Plans and starts a rollout; the new rollout's id. */
  /** line undefined: the model's own line; null: the whole fleet. */
  create(
    version: string,
    line: string | null | undefined,
    userId: string,
    overrides: Record<string, unknown>,
  ): Promise<string>;
  act(rolloutId: string, action: RolloutActionKind, userId: string, reason: string | null): Promise<void>;
}

export interface CommandTiming {
  /** How long a command may wait to be claimed by a leader's engine (also how old a claimable command may be). */
  claimWithinMs: number;
  /** How long a claimed command may take to be applied before the waiting replica gives up answering. */
  applyWithinMs: number;
  pollMs: number;
}

/** Bounds from the cluster and engine settings: a takeover (ttl + renew) plus a few engine ticks and some slack. */
export function commandTiming(ctx: Ctx): CommandTiming {
  const { cluster, rollouts } = ctx.config;
  const claimWithinMs = cluster.leaseTtlMs + cluster.renewMs + 2 * rollouts.tickMs + 2000;
  return { claimWithinMs, applyWithinMs: Math.max(claimWithinMs, 30_000), pollMs: 100 };
}

const NOT_RUNNING = 'the rollout engine is not running (MQTT or rollouts disabled)';

/**
 * The engine's refusal before it applied anything (it does not lead): such an action may go to the next leader. A
 * LW_CTRL_NOT_LEADER from the publisher's fence, after some writes, may not (it would be applied twice).
 */
export const NOT_APPLIED = { notApplied: true } as const;
const refusedUnapplied = (e: unknown): boolean =>
  isControllerError(e, 'LW_CTRL_NOT_LEADER') && e.details === NOT_APPLIED;
const isErrorCode = (s: string): s is ErrorCode => Object.hasOwn(ERRORS, s);

/** What the engine does for one command; the rollout's id. */
async function apply(engine: RolloutEngine, c: RolloutCommand, userId: string): Promise<string> {
  if (c.kind === 'create') return (await engine.create(c.version, c.line, userId, c.overrides)).id;
  await engine.action(c.rolloutId, c.kind, userId, c.reason ?? undefined);
  return c.rolloutId;
}

/** The facade the HTTP routes call: directly on the leader, through the commands table elsewhere. */
export function rolloutActions(
  ctx: Ctx,
  engine: RolloutEngine | null,
  leads: () => boolean,
  timing: CommandTiming = commandTiming(ctx),
): RolloutActions {
  const run = async (c: RolloutCommand, userId: string): Promise<string> => {
    if (!engine) throw ctrlError('LW_CTRL_ROLLOUT_STATE', NOT_RUNNING);
    if (leads()) {
      try {
        return await apply(engine, c, userId);
      } catch (e) {
        // Deposed between the check and the queue (nothing was applied): the next leader gets it as a command.
        if (!refusedUnapplied(e)) throw e;
      }
    }
    return relay(ctx.store.rolloutCommands, c, userId, timing);
  };
  return {
    create: (version, line, userId, overrides) =>
      run({ kind: 'create', version, overrides, ...(line !== undefined && { line }) }, userId),
    act: async (rolloutId, kind, userId, reason) => {
      await run({ kind, rolloutId, reason }, userId);
    },
  };
}

async function until(
  store: RolloutCommandsStore,
  id: string,
  settled: (r: RolloutCommandRow) => boolean,
  withinMs: number,
  pollMs: number,
): Promise<RolloutCommandRow> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const row = await store.get(id);
    if (!row) throw ctrlError('LW_CTRL_INTERNAL', `rollout command ${id} vanished`);
    if (settled(row) || Date.now() >= deadline) return row;
    await sleep(pollMs);
  }
}

/** Inserts the command, waits for a leader to claim and apply it, and answers with its outcome. */
async function relay(store: RolloutCommandsStore, c: RolloutCommand, userId: string, t: CommandTiming) {
  const id = randomUUID();
  await store.submit(id, c, userId);
  let row = await until(store, id, (r) => r.state !== 'pending', t.claimWithinMs, t.pollMs);
  if (row.state === 'pending') {
    const why = `no leader replica took the rollout ${c.kind} within ${(t.claimWithinMs / 1000).toFixed(1)} s; not applied, retry`;
    if ((await store.expire({ id }, 'LW_CTRL_NOT_LEADER', why)) === 1) throw ctrlError('LW_CTRL_NOT_LEADER', why);
  }
  row = await until(store, id, (r) => r.state === 'done' || r.state === 'failed', t.applyWithinMs, t.pollMs);
  if (row.state === 'done' && row.rolloutId !== null) return row.rolloutId;
  if (row.state === 'failed') {
    const code = row.errorCode !== null && isErrorCode(row.errorCode) ? row.errorCode : 'LW_CTRL_INTERNAL';
    throw ctrlError(code, row.errorMessage ?? undefined);
  }
  throw ctrlError(
    'LW_CTRL_NOT_LEADER',
    `leader ${row.appliedBy ?? '?'} took rollout command ${id} but did not finish it in time; check the rollout before retrying`,
  );
}

/**
 * The leader's side: a singleton that claims pending commands every tick and applies them on the engine's serial
 * queue, oldest first; it also fails commands that waited too long (their replica may have died waiting).
 */
export function commandRunner(
  ctx: Ctx,
  engine: RolloutEngine,
  replicaId: string,
  timing: CommandTiming = commandTiming(ctx),
): Singleton {
  const store = ctx.store.rolloutCommands;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  const drain = async (): Promise<void> => {
    const stale = `not taken by a leader within ${(timing.claimWithinMs / 1000).toFixed(1)} s; not applied`;
    await store.expire({ olderThanMs: timing.claimWithinMs }, 'LW_CTRL_NOT_LEADER', stale);
    for (const c of await store.pending(timing.claimWithinMs)) {
      if (timer === null) return; // stopped
      if (await store.claim(c.id, replicaId, timing.claimWithinMs)) await applyClaimed(c);
    }
  };
  const applyClaimed = async (c: RolloutCommandRow): Promise<void> => {
    try {
      const rolloutId = await apply(engine, c.command, c.userId);
      await store.finish(c.id, replicaId, { rolloutId, errorCode: null, errorMessage: null });
    } catch (e) {
      // The engine stopped before applying it (this replica was deposed): hand it back for the next leader.
      if (refusedUnapplied(e)) return void (await store.unclaim(c.id, replicaId));
      if (!isControllerError(e)) ctx.log.error({ err: e, command: c.id }, 'rollout command failed');
      const errorCode = isControllerError(e) ? e.code : 'LW_CTRL_INTERNAL';
      const errorMessage = isControllerError(e) ? e.message : ERRORS.LW_CTRL_INTERNAL.message;
      await store.finish(c.id, replicaId, { rolloutId: null, errorCode, errorMessage });
    }
  };
  const tick = (): void => {
    inFlight ??= drain()
      .catch((err: unknown) => ctx.log.warn({ err }, 'rollout commands not drained; retrying next tick'))
      .finally(() => {
        inFlight = null;
      });
  };
  return {
    name: 'rollout-commands',
    start() {
      timer ??= setInterval(tick, ctx.config.rollouts.tickMs);
      timer.unref();
      tick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await inFlight;
    },
  };
}
