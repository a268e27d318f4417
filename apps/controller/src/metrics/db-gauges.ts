/**
 * Gauges computed from database aggregates (QA queue and labels per line, training jobs, rollouts, gate verdicts),
 * refreshed at scrape time at most every `metrics.cacheMs` (db-aggregates.ts). Read from the one database, so every
 * replica reports the same values. Labels are line ids and closed enums only: cardinality is bounded by lines × enum.
 */
import { Gauge, Histogram, type Registry } from 'prom-client';

export interface DbGauges {
  qaQueueDepth: Gauge<'line'>;
  qaLabels: Gauge<'line' | 'label'>;
  jobs: Gauge<'line' | 'status'>;
  jobDuration: Histogram<'line' | 'status'>;
  rollouts: Gauge<'state'>;
  rolloutActive: Gauge<'line' | 'version' | 'phase' | 'state'>;
  rolloutGateDecisions: Gauge<'result' | 'gate'>;
}

/** Training runs take minutes to hours. */
const JOB_BUCKETS = [60, 300, 600, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600];

export function createDbGauges(registry: Registry): DbGauges {
  const registers = [registry];
  return {
    qaQueueDepth: new Gauge({
      name: 'lw_qa_queue_depth',
      help: 'Flagged events of a line waiting for a QA verdict (label status pending)',
      labelNames: ['line'],
      registers,
    }),
    qaLabels: new Gauge({
      name: 'lw_qa_labels',
      help: 'QA results of a line so far: events confirmed, events rejected, masks drawn',
      labelNames: ['line', 'label'],
      registers,
    }),
    jobs: new Gauge({
      name: 'lw_jobs',
      help: 'Training jobs of a line by status (queued, claimed, running, succeeded, failed, cancelled)',
      labelNames: ['line', 'status'],
      registers,
    }),
    jobDuration: new Histogram({
      name: 'lw_job_duration_seconds',
      help: 'Finished training jobs by wall time from start (or creation, if never started) to finish, from the database',
      labelNames: ['line', 'status'],
      buckets: JOB_BUCKETS,
      registers,
    }),
    rollouts: new Gauge({
      name: 'lw_rollouts',
      help: 'Rollouts by state (running, paused, completed, aborted, rolling-back, rolled-back); every state present',
      labelNames: ['state'],
      registers,
    }),
    rolloutActive: new Gauge({
      name: 'lw_rollout_active',
      help: 'Active rollouts (running, paused, rolling-back): value = current wave (0 = canary); line "*" = fleet-wide',
      labelNames: ['line', 'version', 'phase', 'state'],
      registers,
    }),
    rolloutGateDecisions: new Gauge({
      name: 'lw_rollout_gate_decisions',
      help:
        'Gate verdicts in the rollout decision log (grows like a counter: use increase): result passed (all gates, ' +
        'gate="all") or failed, by the gate that failed (install, shadow, health, flag-rate, qa, other)',
      labelNames: ['result', 'gate'],
      registers,
    }),
  };
}
