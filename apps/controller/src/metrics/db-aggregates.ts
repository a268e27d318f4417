/**
 * The database side of /metrics: reads the aggregates (QA labels per line, jobs, rollouts, gate verdicts) at most
 * every `cacheMs`, then rebuilds the gauges in one synchronous step. Concurrent scrapes share one read. A failed read
 * clears these gauges (stale numbers would hide a broken database) and counts lw_metrics_refresh_failures_total.
 */
import type { Clock } from '../clock.js';
import type { Ctx } from '../context.js';
import type { JobRow } from '../store/jobs-store.js';
import type { RolloutRow } from '../store/rollout-store.js';
import type { Store } from '../store/store.js';
import type { LabelStatus } from '../store/types.js';
import { ACTIVE_STATES } from '../store/rollout-store.js';
import type { DbGauges } from './db-gauges.js';
import { GATES, gateOf } from './gate-of.js';

interface Aggregates {
  labels: Array<{ line: string; status: LabelStatus; count: number }>;
  masks: Map<string, number>;
  jobs: Array<Pick<JobRow, 'line' | 'status' | 'createdAt' | 'startedAt' | 'finishedAt'>>;
  rollouts: Array<Pick<RolloutRow, 'line' | 'version' | 'state' | 'phase' | 'wave'>>;
  gates: Array<{ action: string; reason: string }>;
}

const ROLLOUT_STATES = ['running', 'paused', 'completed', 'aborted', 'rolling-back', 'rolled-back'] as const;

async function readAggregates(store: Store): Promise<Aggregates> {
  const [labels, masks, jobs, rollouts, gates] = await Promise.all([
    store.events.labelStats(),
    store.events.maskCountsByLine(),
    store.jobs.jobTimes(),
    store.rollouts.summaries(),
    store.rollouts.gateDecisions(),
  ]);
  return { labels, masks, jobs, rollouts, gates };
}

export interface DbRefresherDeps {
  store: Store;
  clock: Clock;
  log: Pick<Ctx['log'], 'warn'>;
  gauges: DbGauges;
  onFailure: () => void;
  cacheMs: number;
}

export class DbRefresher {
  private readAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | null = null;

  constructor(private readonly d: DbRefresherDeps) {}

  /** Resolves once the gauges hold aggregates at most cacheMs old (or were cleared after a failed read). */
  refresh(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.d.clock.now().getTime() - this.readAt < this.d.cacheMs) return Promise.resolve();
    this.inFlight = this.run().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async run(): Promise<void> {
    try {
      const a = await readAggregates(this.d.store);
      apply(this.d.gauges, a);
      this.readAt = this.d.clock.now().getTime();
    } catch (err) {
      for (const g of Object.values(this.d.gauges)) g.reset();
      this.d.onFailure();
      this.d.log.warn({ err, code: 'LW_CTRL_DB_UNAVAILABLE' }, 'metrics: database aggregates not read');
    }
  }
}

function apply(g: DbGauges, a: Aggregates): void {
  for (const gauge of Object.values(g)) gauge.reset();
  const lines = new Set([...a.labels.map((l) => l.line), ...a.masks.keys()]);
  for (const line of lines) {
    const n = (s: LabelStatus): number => a.labels.find((l) => l.line === line && l.status === s)?.count ?? 0;
    g.qaQueueDepth.set({ line }, n('pending'));
    g.qaLabels.set({ line, label: 'confirmed' }, n('confirmed'));
    g.qaLabels.set({ line, label: 'rejected' }, n('rejected'));
    g.qaLabels.set({ line, label: 'masks' }, a.masks.get(line) ?? 0);
  }
  for (const j of a.jobs) {
    g.jobs.inc({ line: j.line, status: j.status });
    if (j.finishedAt) {
      const from = j.startedAt ?? j.createdAt;
      g.jobDuration.observe(
        { line: j.line, status: j.status },
        Math.max(0, j.finishedAt.getTime() - from.getTime()) / 1000,
      );
    }
  }
  for (const state of ROLLOUT_STATES) g.rollouts.set({ state }, 0);
  for (const r of a.rollouts) {
    g.rollouts.inc({ state: r.state });
    if (ACTIVE_STATES.includes(r.state)) {
      g.rolloutActive.set({ line: r.line ?? '*', version: r.version, phase: r.phase, state: r.state }, r.wave);
    }
  }
  g.rolloutGateDecisions.set({ result: 'passed', gate: 'all' }, 0);
  for (const gate of GATES) g.rolloutGateDecisions.set({ result: 'failed', gate }, 0);
  for (const d of a.gates) {
    if (d.action === 'gates-passed') g.rolloutGateDecisions.inc({ result: 'passed', gate: 'all' });
    else g.rolloutGateDecisions.inc({ result: 'failed', gate: gateOf(d.reason) });
  }
}
