/**
 * Rollout tables on the shared prisma client: rollouts, per-device targets and the decision log, plus the few
 * read queries the gates need (flagged events per version, QA verdicts per version, baseline score counts).
 * Everything the engine decides from lives here, so a restarted controller resumes from the recorded state.
 * JSON columns (policy, baseline, report, details) are parsed here so callers see typed rows.
 */
import type { ModelReportMessage } from '@linewatch/protocol';
import type { RolloutPolicyBody } from '@linewatch/protocol/http';
import type { Db } from './db.js';

export type RolloutState = 'running' | 'paused' | 'completed' | 'aborted' | 'rolling-back' | 'rolled-back';
export type TargetState = 'pending' | 'sent' | 'live' | 'failed' | 'rolling-back' | 'rolled-back';
export const ACTIVE_STATES: RolloutState[] = ['running', 'paused', 'rolling-back'];

export interface RolloutRow {
  id: string;
  version: string;
  parentVersion: string | null;
  line: string | null;
  /** The effective policy, frozen at creation (a later policy edit never changes a rollout under way). */
  policy: RolloutPolicyBody;
  state: RolloutState;
  phase: string;
  wave: number;
  waves: number;
  waveStartedAt: Date | null;
  waveLiveAt: Date | null;
  baseline: RolloutBaseline | null;
  reason: string | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
}

/** The parent's flagged events and scored frames on the rollout's devices over the baseline window. */
export interface RolloutBaseline {
  frames: number;
  flagged: number;
  from: string;
  to: string;
}

/** Columns of a rollout that change while it runs (policy and baseline are fixed at creation). */
export type RolloutPatch = Partial<Omit<RolloutRow, 'id' | 'policy' | 'baseline'>>;

export interface TargetRow {
  rolloutId: string;
  deviceId: string;
  wave: number;
  state: TargetState;
  fromVersion: string | null;
  issuedAt: Date | null;
  liveAt: Date | null;
  /** The device's last model report for this rollout. */
  report: ModelReportMessage | null;
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
  /** Whatever the decision recorded as evidence (null: nothing). */
  details: unknown;
}

export type TargetPatch = Partial<Omit<TargetRow, 'rolloutId' | 'deviceId'>>;
type DbRollout = Omit<RolloutRow, 'state' | 'policy' | 'baseline'> & {
  state: string;
  policy: string;
  baseline: string | null;
};
type DbTarget = Omit<TargetRow, 'state' | 'report'> & { state: string; report: string | null };
type DbDecision = Omit<DecisionRow, 'details'> & { details: string | null };

const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));
const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

const asRollout = (r: DbRollout): RolloutRow => ({
  ...r,
  state: r.state as RolloutState,
  policy: JSON.parse(r.policy) as RolloutPolicyBody,
  baseline: parse<RolloutBaseline>(r.baseline),
});
const asTarget = (t: DbTarget): TargetRow => ({
  ...t,
  state: t.state as TargetState,
  report: parse<ModelReportMessage>(t.report),
});
const asDecision = (d: DbDecision): DecisionRow => ({ ...d, details: parse<unknown>(d.details) });

/** `{ uncounted: { from, to } }` (ISO strings) in a decision's details, as dates; null for anything else. */
export function uncountedWindow(details: unknown): { from: Date; to: Date } | null {
  if (typeof details !== 'object' || details === null || !('uncounted' in details)) return null;
  const u = details.uncounted;
  if (typeof u !== 'object' || u === null || !('from' in u) || !('to' in u)) return null;
  const from = typeof u.from === 'string' ? new Date(u.from) : null;
  const to = typeof u.to === 'string' ? new Date(u.to) : null;
  return from && to && !isNaN(from.getTime()) && !isNaN(to.getTime()) ? { from, to } : null;
}

function targetData(p: TargetPatch): Omit<TargetPatch, 'report'> & { report?: string | null } {
  const { report, ...rest } = p;
  return report === undefined ? rest : { ...rest, report: json(report) };
}

export class RolloutStore {
  constructor(private readonly db: Db) {}

  /**
   * The rollout, its targets and its first decision in one transaction — a batch, not an interactive transaction:
   * nothing is read in between, and a busy box must not hit the interactive transaction's timeout.
   */
  async create(r: RolloutRow, targets: TargetRow[], decision: Omit<DecisionRow, 'id' | 'rolloutId'>): Promise<void> {
    await this.db.$transaction([
      this.db.rollout.create({ data: { ...r, policy: JSON.stringify(r.policy), baseline: json(r.baseline) } }),
      this.db.rolloutTarget.createMany({ data: targets.map((t) => ({ ...t, report: json(t.report) })) }),
      this.db.rolloutDecision.create({ data: { ...decision, rolloutId: r.id, details: json(decision.details) } }),
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

  async update(id: string, patch: RolloutPatch): Promise<void> {
    await this.db.rollout.update({ where: { id }, data: patch });
  }

  async targets(rolloutId: string): Promise<TargetRow[]> {
    const rows = await this.db.rolloutTarget.findMany({
      where: { rolloutId },
      orderBy: [{ wave: 'asc' }, { deviceId: 'asc' }],
    });
    return rows.map(asTarget);
  }

  async updateTarget(rolloutId: string, deviceId: string, patch: TargetPatch): Promise<void> {
    await this.db.rolloutTarget.update({
      where: { rolloutId_deviceId: { rolloutId, deviceId } },
      data: targetData(patch),
    });
  }

  /**
   * Moves a target on only when it is still in `from`: of two engines (a stale leader and its successor) issuing the
   * same wave command, exactly one sees true, so no device is commanded twice for one wave.
   */
  async transitionTarget(rolloutId: string, deviceId: string, from: TargetState, patch: TargetPatch): Promise<boolean> {
    const r = await this.db.rolloutTarget.updateMany({
      where: { rolloutId, deviceId, state: from },
      data: targetData(patch),
    });
    return r.count === 1;
  }

  async addFrames(rolloutId: string, deviceId: string, frames: number): Promise<void> {
    await this.db.rolloutTarget.update({
      where: { rolloutId_deviceId: { rolloutId, deviceId } },
      data: { frames: { increment: frames } },
    });
  }

  async decide(d: Omit<DecisionRow, 'id'>): Promise<void> {
    await this.db.rolloutDecision.create({ data: { ...d, details: json(d.details) } });
  }

  /**
   * Windows in which no engine counted the rollout's frames (from a leader's last renewal to its successor's resume),
   * as recorded in the details of the engine's `resumed` decisions.
   */
  async uncountedWindows(rolloutId: string): Promise<Array<{ from: Date; to: Date }>> {
    const rows = await this.db.rolloutDecision.findMany({ where: { rolloutId, action: 'resumed', actor: 'engine' } });
    return rows.flatMap((d) => {
      const w = uncountedWindow(parse<unknown>(d.details));
      return w ? [w] : [];
    });
  }

  async decisions(rolloutId: string): Promise<DecisionRow[]> {
    const rows = await this.db.rolloutDecision.findMany({ where: { rolloutId }, orderBy: { id: 'asc' } });
    return rows.map(asDecision);
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

  /** State, phase and wave of every rollout, for /metrics (rollouts are few: one active per scope at a time). */
  async summaries(): Promise<Array<Pick<RolloutRow, 'line' | 'version' | 'state' | 'phase' | 'wave'>>> {
    const rows = await this.db.rollout.findMany({
      select: { line: true, version: true, state: true, phase: true, wave: true },
    });
    return rows.map((r) => ({ ...r, state: r.state as RolloutState }));
  }

  /** The decision log's gate verdicts (gates-passed, gate-failed) with their reasons, for /metrics. */
  async gateDecisions(): Promise<Array<{ action: string; reason: string }>> {
    return this.db.rolloutDecision.findMany({
      where: { action: { in: ['gates-passed', 'gate-failed'] } },
      select: { action: true, reason: true },
    });
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
      where: {
        modelVersion: version,
        labelStatus: { in: ['confirmed', 'rejected'] },
        ...(deviceIds && { deviceId: { in: deviceIds } }),
      },
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
