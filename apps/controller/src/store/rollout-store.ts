/**
 * Rollout tables on the shared prisma client: rollouts, per-device targets and the decision log, plus the few
 * read queries the gates need (flagged events per version, QA verdicts per version, baseline score counts).
 * Everything the engine decides from lives here, so a restarted controller resumes from the recorded state.
 */
import type { PrismaClient } from '../generated/sqlite/client.js';
import type { Store } from './types.js';

export type RolloutState = 'running' | 'paused' | 'completed' | 'aborted' | 'rolling-back' | 'rolled-back';
export type TargetState = 'pending' | 'sent' | 'live' | 'failed' | 'rolling-back' | 'rolled-back';
export const ACTIVE_STATES: RolloutState[] = ['running', 'paused', 'rolling-back'];

export interface RolloutRow {
  id: string;
  version: string;
  parentVersion: string | null;
  line: string | null;
  policy: string;
  state: RolloutState;
  phase: string;
  wave: number;
  waves: number;
  waveStartedAt: Date | null;
  waveLiveAt: Date | null;
  baseline: string | null;
  reason: string | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
}

export interface TargetRow {
  rolloutId: string;
  deviceId: string;
  wave: number;
  state: TargetState;
  fromVersion: string | null;
  issuedAt: Date | null;
  liveAt: Date | null;
  report: string | null;
  frames: number;
  baseFps: number | null;
  baseLatencyMs: number | null;
  rolledBackAt: Date | null;
  updatedAt: Date;
}

export interface DecisionRow {
  id: number;
  rolloutId: string;
  at: Date;
  actor: string;
  action: string;
  reason: string;
  details: string | null;
}

const asRollout = (r: Omit<RolloutRow, 'state'> & { state: string }): RolloutRow => ({ ...r, state: r.state as RolloutState });
const asTarget = (t: Omit<TargetRow, 'state'> & { state: string }): TargetRow => ({ ...t, state: t.state as TargetState });

export class RolloutStore {
  private readonly db: PrismaClient;
  constructor(store: Store) {
    this.db = store.prisma;
  }

  /**
   * The rollout, its targets and its first decision in one transaction — a batch, not an interactive transaction:
   * nothing is read in between, and a busy box must not hit the interactive transaction's timeout.
   */
  async create(r: RolloutRow, targets: TargetRow[], decision: Omit<DecisionRow, 'id' | 'rolloutId'>): Promise<void> {
    await this.db.$transaction([
      this.db.rollout.create({ data: r }),
      this.db.rolloutTarget.createMany({ data: targets }),
      this.db.rolloutDecision.create({ data: { ...decision, rolloutId: r.id } }),
    ]);
  }

  async get(id: string): Promise<RolloutRow | null> {
    const r = await this.db.rollout.findUnique({ where: { id } });
    return r && asRollout(r);
  }

  async list(limit: number, states?: RolloutState[]): Promise<RolloutRow[]> {
    const rows = await this.db.rollout.findMany({
      where: states ? { state: { in: states } } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
    return rows.map(asRollout);
  }

  async update(id: string, patch: Partial<Omit<RolloutRow, 'id'>>): Promise<void> {
    await this.db.rollout.update({ where: { id }, data: patch });
  }

  async targets(rolloutId: string): Promise<TargetRow[]> {
    const rows = await this.db.rolloutTarget.findMany({ where: { rolloutId }, orderBy: [{ wave: 'asc' }, { deviceId: 'asc' }] });
    return rows.map(asTarget);
  }

  async updateTarget(rolloutId: string, deviceId: string, patch: Partial<Omit<TargetRow, 'rolloutId' | 'deviceId'>>): Promise<void> {
    await this.db.rolloutTarget.update({ where: { rolloutId_deviceId: { rolloutId, deviceId } }, data: patch });
  }

  async addFrames(rolloutId: string, deviceId: string, frames: number): Promise<void> {
    await this.db.rolloutTarget.update({
      where: { rolloutId_deviceId: { rolloutId, deviceId } },
      data: { frames: { increment: frames } },
    });
  }

  async decide(d: Omit<DecisionRow, 'id'>): Promise<void> {
    await this.db.rolloutDecision.create({ data: d });
  }

  async decisions(rolloutId: string): Promise<DecisionRow[]> {
    return this.db.rolloutDecision.findMany({ where: { rolloutId }, orderBy: { id: 'asc' } });
  }

  async counts(rolloutIds: string[]): Promise<Map<string, Record<string, number>>> {
    const rows = await this.db.rolloutTarget.groupBy({
      by: ['rolloutId', 'state'],
      where: { rolloutId: { in: rolloutIds } },
      _count: { _all: true },
    });
    const out = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const m = out.get(r.rolloutId) ?? {};
      m[r.state] = r._count._all;
      out.set(r.rolloutId, m);
    }
    return out;
  }

  /** Flagged events the given devices sent while running `version` (any version when undefined), by event time. */
  async flaggedEvents(deviceIds: string[], version: string | undefined, since?: Date, until?: Date): Promise<number> {
    if (deviceIds.length === 0) return 0;
    return this.db.event.count({
      where: {
        deviceId: { in: deviceIds },
        ...(version !== undefined && { modelVersion: version }),
        ...((since || until) && { ts: { ...(since && { gte: since }), ...(until && { lt: until }) } }),
      },
    });
  }

  /** QA verdicts on flagged events of `version` (optionally only from these devices). */
  async verdicts(version: string, deviceIds?: string[]): Promise<{ confirmed: number; rejected: number }> {
    const rows = await this.db.event.groupBy({
      by: ['labelStatus'],
      where: { modelVersion: version, labelStatus: { in: ['confirmed', 'rejected'] }, ...(deviceIds && { deviceId: { in: deviceIds } }) },
      _count: { _all: true },
    });
    const n = (s: string): number => rows.find((r) => r.labelStatus === s)?._count._all ?? 0;
    return { confirmed: n('confirmed'), rejected: n('rejected') };
  }

  /** Frames scored by these devices in [from, to) according to the per-minute score aggregates. */
  async frames(deviceIds: string[], from: Date, to: Date): Promise<number> {
    if (deviceIds.length === 0) return 0;
    const r = await this.db.scoreAggregate.aggregate({
      where: { deviceId: { in: deviceIds }, minute: { gte: from, lt: to } },
      _sum: { count: true },
    });
    return r._sum.count ?? 0;
  }
}
