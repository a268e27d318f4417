/**
 * Rollout admin actions handed from a replica that does not lead to the one that does (issue 18: every replica
 * serves the same API). The receiving replica inserts a `pending` row and polls it; the leader's engine claims it
 * (`pending → applying`, one conditional update, so a command is applied at most once even by two engines), applies
 * it on its serial queue and records the outcome (`done` with the rollout id, or `failed` with the coded error the
 * leader would have answered). A command nobody claimed in time is marked `failed` by the waiting replica (or by the
 * next leader's sweep) with a conditional update too, so a late leader never applies a stale click.
 *
 * Times are the database's (`dbNow`, as for leases): replicas with skewed clocks agree on a command's age.
 */
import type { Db } from './db.js';
import type { DbNow } from './leases-store.js';

export type RolloutActionKind = 'pause' | 'resume' | 'abort' | 'rollback';

/** What the leader's engine is asked to do (the arguments of engine.create / engine.action). */
export type RolloutCommand =
  // line absent: the model's own line (as in planner.ts); null: the whole fleet.
  | { kind: 'create'; version: string; line?: string | null; overrides: Record<string, unknown> }
  | { kind: RolloutActionKind; rolloutId: string; reason: string | null };

export type CommandState = 'pending' | 'applying' | 'done' | 'failed';

export interface CommandOutcome {
  /** done: the rollout created or acted on. */
  rolloutId: string | null;
  /** failed: the error the engine answered (a catalogue code and its message). */
  errorCode: string | null;
  errorMessage: string | null;
}

export interface RolloutCommandRow extends CommandOutcome {
  id: string;
  command: RolloutCommand;
  userId: string;
  createdAt: Date;
  state: CommandState;
  /** The replica whose engine claimed it. */
  appliedBy: string | null;
  doneAt: Date | null;
}

type DbRow = Omit<RolloutCommandRow, 'command' | 'state' | 'rolloutId'> & {
  kind: string;
  args: string;
  state: string;
  result: string | null;
};

const STATES: readonly CommandState[] = ['pending', 'applying', 'done', 'failed'];
const isState = (s: string): s is CommandState => (STATES as readonly string[]).includes(s);

function toRow(r: DbRow): RolloutCommandRow {
  const { kind, args, result, state, ...rest } = r;
  if (!isState(state)) throw new Error(`rollout command ${r.id}: unknown state ${state}`);
  // Written only by submit() below: the args are the command without its kind.
  const command = { kind, ...(JSON.parse(args) as object) } as RolloutCommand;
  const done = result === null ? null : (JSON.parse(result) as { rolloutId: string | null });
  return { ...rest, command, state, rolloutId: done?.rolloutId ?? null };
}

export class RolloutCommandsStore {
  constructor(
    private readonly db: Db,
    private readonly dbNow: DbNow,
  ) {}

  async submit(id: string, command: RolloutCommand, userId: string): Promise<RolloutCommandRow> {
    const { kind, ...args } = command;
    const createdAt = new Date(await this.dbNow());
    const row = await this.db.rolloutCommand.create({
      data: { id, kind, args: JSON.stringify(args), userId, createdAt, state: 'pending' },
    });
    return toRow(row);
  }

  async get(id: string): Promise<RolloutCommandRow | null> {
    const r = await this.db.rolloutCommand.findUnique({ where: { id } });
    return r && toRow(r);
  }

  /** The newest commands first (what was asked of the leader lately, and by whom it was applied). */
  async recent(limit = 50): Promise<RolloutCommandRow[]> {
    const rows = await this.db.rolloutCommand.findMany({
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map(toRow);
  }

  /** Pending commands younger than `maxAgeMs`, oldest first (the order the clicks were made in). */
  async pending(maxAgeMs: number, limit = 100): Promise<RolloutCommandRow[]> {
    const rows = await this.db.rolloutCommand.findMany({
      where: { state: 'pending', createdAt: { gt: await this.cutoff(maxAgeMs) } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map(toRow);
  }

  /** pending → applying by `replica`, unless it is older than `maxAgeMs`; true when this call claimed it. */
  async claim(id: string, replica: string, maxAgeMs: number): Promise<boolean> {
    const r = await this.db.rolloutCommand.updateMany({
      where: { id, state: 'pending', createdAt: { gt: await this.cutoff(maxAgeMs) } },
      data: { state: 'applying', appliedBy: replica },
    });
    return r.count === 1;
  }

  /** applying → pending: the claiming engine stopped before it applied anything (another leader may). */
  async unclaim(id: string, replica: string): Promise<boolean> {
    const r = await this.db.rolloutCommand.updateMany({
      where: { id, state: 'applying', appliedBy: replica },
      data: { state: 'pending', appliedBy: null },
    });
    return r.count === 1;
  }

  /** applying → done (rolloutId) or failed (error); only by the replica that claimed it. */
  async finish(id: string, replica: string, outcome: CommandOutcome): Promise<boolean> {
    const failed = outcome.errorCode !== null;
    const r = await this.db.rolloutCommand.updateMany({
      where: { id, state: 'applying', appliedBy: replica },
      data: {
        state: failed ? 'failed' : 'done',
        result: failed ? null : JSON.stringify({ rolloutId: outcome.rolloutId }),
        errorCode: outcome.errorCode,
        errorMessage: outcome.errorMessage,
        doneAt: new Date(await this.dbNow()),
      },
    });
    return r.count === 1;
  }

  /**
   * pending → failed with the given error: one command (`id`), or every pending one older than `maxAgeMs`. Returns
   * how many were expired; a command already claimed is not touched (its leader answers).
   */
  async expire(which: { id: string } | { olderThanMs: number }, code: string, message: string): Promise<number> {
    const now = new Date(await this.dbNow());
    const where =
      'id' in which
        ? { id: which.id, state: 'pending' }
        : { state: 'pending', createdAt: { lte: new Date(now.getTime() - which.olderThanMs) } };
    const r = await this.db.rolloutCommand.updateMany({
      where,
      data: { state: 'failed', errorCode: code, errorMessage: message, doneAt: now },
    });
    return r.count;
  }

  private async cutoff(maxAgeMs: number): Promise<Date> {
    return new Date((await this.dbNow()) - maxAgeMs);
  }
}
