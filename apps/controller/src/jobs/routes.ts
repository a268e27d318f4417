/**
 * Admin/UI routes for training jobs: enqueue ("train now"), list with live progress, detail, cancel, per-line
 * training-data counts, dataset snapshot summary. Jobs on lines a QA user may not see answer 404.
 */
import type { FastifyRequest } from 'fastify';
import {
  CancelJobRoute,
  CreateJobRoute,
  GetDatasetRoute,
  GetJobRoute,
  ListJobsRoute,
  TrainingLinesRoute,
  type TrainingLineView,
} from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { TypedApp } from '../http/typed-app.js';
import { canSeeLine, requireAuth, visibleLines } from '../auth/guard.js';
import { countItem, kindOf, originOf } from '../datasets/snapshot.js';
import type { JobRow } from '../store/jobs-store.js';
import type { JobService } from './service.js';
import { jobView, snapshotView } from './view.js';

export function registerJobRoutes(app: TypedApp, ctx: Ctx, jobs: JobService): void {
  app.route({
    ...CreateJobRoute,
    config: { access: 'admin' },
    handler: async (req, reply) => {
      const { user } = requireAuth(req);
      const job = await jobs.createJob(req.body.line, `admin:${user.username}`);
      return reply.status(201).send(jobView(job, await jobs.store.getSnapshot(job.datasetSnapshotId)));
    },
  });
  app.route({
    ...ListJobsRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const q = req.query;
      const rows = await jobs.store.listJobs({
        visibleLines: visibleLines(user),
        line: q.line,
        status: q.status,
        limit: q.limit,
      });
      const snapshots = await jobs.store.getSnapshots(rows.map((j) => j.datasetSnapshotId));
      return { jobs: rows.map((j) => jobView(j, snapshots.get(j.datasetSnapshotId))) };
    },
  });
  jobDetailRoutes(app, jobs);
  trainingLinesRoute(app, ctx, jobs);
}

/** A job on a line the user may not see answers 404 like a missing one. */
async function visibleJob(jobs: JobService, req: FastifyRequest, id: string): Promise<JobRow> {
  const { user } = requireAuth(req);
  const j = await jobs.store.getJob(id);
  if (!j || !canSeeLine(user, j.line)) throw ctrlError('LW_CTRL_NOT_FOUND', 'job not found');
  return j;
}

function jobDetailRoutes(app: TypedApp, jobs: JobService): void {
  app.route({
    ...GetJobRoute,
    handler: async (req) => {
      const j = await visibleJob(jobs, req, req.params.id);
      return jobView(j, await jobs.store.getSnapshot(j.datasetSnapshotId));
    },
  });
  app.route({
    ...CancelJobRoute,
    config: { access: 'admin' },
    handler: async (req) => {
      const { user } = requireAuth(req);
      const j = await visibleJob(jobs, req, req.params.id);
      return jobView(await jobs.cancel(j.id, `admin:${user.username}`));
    },
  });
  app.route({
    ...GetDatasetRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const s = await jobs.store.getSnapshot(req.params.id);
      if (!s || !canSeeLine(user, s.line)) throw ctrlError('LW_CTRL_NOT_FOUND', 'dataset snapshot not found');
      return snapshotView(s);
    },
  });
}

function trainingLinesRoute(app: TypedApp, ctx: Ctx, jobs: JobService): void {
  app.route({
    ...TrainingLinesRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const lines = (await jobs.store.knownLines()).filter((l) => canSeeLine(user, l));
      const out: TrainingLineView[] = [];
      for (const line of lines) out.push(await trainingLine(ctx, jobs, line));
      return { lines: out };
    },
  });
}

async function trainingLine(ctx: Ctx, jobs: JobService, line: string): Promise<TrainingLineView> {
  // Counts what a snapshot taken now would hold: sampled normal frames (capped) and rejected false alarms are both
  // normal, counted apart by origin.
  const events = await jobs.store.trainingData(line, ctx.config.jobs.maxNormalSamples);
  const counts = { px: 0, img: 0, normal: 0, rejected: 0, sampled: 0 };
  for (const e of events) countItem(counts, kindOf(e), originOf(e));
  const pxIds = events.filter((e) => kindOf(e) === 'px').map((e) => e.id);
  const [newMasks, liveVersion, open, last] = await Promise.all([
    jobs.newMasks(line, pxIds),
    jobs.models.liveVersion(line),
    jobs.store.openJobForLine(line),
    jobs.store.lastJobForLine(line),
  ]);
  return {
    line,
    counts,
    newMasks,
    autoTriggerMinMasks: ctx.config.jobs.autoTriggerMinMasks,
    liveVersion,
    openJobId: open?.id ?? null,
    lastJobId: last?.id ?? null,
  };
}
