/**
 * Admin/UI routes for training jobs: enqueue ("train now"), list with live progress, detail, cancel, per-line
 * training-data counts, dataset snapshot summary. Jobs on lines a QA user may not see answer 404.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  CancelJobRoute,
  CreateJobRoute,
  GetDatasetRoute,
  GetJobRoute,
  ListJobsRoute,
  TrainingLinesRoute,
  type CreateJobBody,
  type JobIdParams,
  type ListJobsQuery,
  type TrainingLineView,
} from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import { canSeeLine, requireAuth, visibleLines } from '../auth/guard.js';
import { kindOf } from '../datasets/snapshot.js';
import type { JobRow } from '../store/jobs-store.js';
import type { JobService } from './service.js';
import { jobView, snapshotView } from './view.js';

export function registerJobRoutes(app: FastifyInstance, ctx: Ctx, jobs: JobService): void {
  async function visibleJob(req: FastifyRequest, id: string): Promise<JobRow> {
    const { user } = requireAuth(req);
    const j = await jobs.store.getJob(id);
    if (!j || !canSeeLine(user, j.line)) throw ctrlError('LW_CTRL_NOT_FOUND', 'job not found');
    return j;
  }

  app.route({
    ...CreateJobRoute,
    config: { access: 'admin' },
    handler: async (req, reply) => {
      const { user } = requireAuth(req);
      const { line } = req.body as CreateJobBody;
      const job = await jobs.createJob(line, `admin:${user.username}`);
      return reply.status(201).send(jobView(job, await jobs.store.getSnapshot(job.datasetSnapshotId)));
    },
  });

  app.route({
    ...ListJobsRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const q = req.query as ListJobsQuery;
      const rows = await jobs.store.listJobs({ visibleLines: visibleLines(user), line: q.line, status: q.status, limit: q.limit });
      const snapshots = await jobs.store.getSnapshots(rows.map((j) => j.datasetSnapshotId));
      return { jobs: rows.map((j) => jobView(j, snapshots.get(j.datasetSnapshotId))) };
    },
  });

  app.route({
    ...GetJobRoute,
    handler: async (req) => {
      const j = await visibleJob(req, (req.params as JobIdParams).id);
      return jobView(j, await jobs.store.getSnapshot(j.datasetSnapshotId));
    },
  });

  app.route({
    ...CancelJobRoute,
    config: { access: 'admin' },
    handler: async (req) => {
      const { user } = requireAuth(req);
      const j = await visibleJob(req, (req.params as JobIdParams).id);
      return jobView(await jobs.cancel(j.id, `admin:${user.username}`));
    },
  });

  app.route({
    ...GetDatasetRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const s = await jobs.store.getSnapshot((req.params as JobIdParams).id);
      if (!s || !canSeeLine(user, s.line)) throw ctrlError('LW_CTRL_NOT_FOUND', 'dataset snapshot not found');
      return snapshotView(s);
    },
  });

  app.route({
    ...TrainingLinesRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const lines = (await jobs.store.knownLines()).filter((l) => canSeeLine(user, l));
      const out: TrainingLineView[] = [];
      for (const line of lines) {
        // Counts what a snapshot taken now would hold: sampled normal frames (capped) count as normal.
        const events = await jobs.store.trainingData(line, ctx.config.jobs.maxNormalSamples);
        const counts = { px: 0, img: 0, normal: 0 };
        for (const e of events) counts[kindOf(e)]++;
        const pxIds = events.filter((e) => kindOf(e) === 'px').map((e) => e.id);
        const [newMasks, liveVersion, open, last] = await Promise.all([
          jobs.newMasks(line, pxIds),
          jobs.models.liveVersion(line),
          jobs.store.openJobForLine(line),
          jobs.store.lastJobForLine(line),
        ]);
        out.push({
          line,
          counts,
          newMasks,
          autoTriggerMinMasks: ctx.config.jobs.autoTriggerMinMasks,
          liveVersion,
          openJobId: open?.id ?? null,
          lastJobId: last?.id ?? null,
        });
      }
      return { lines: out };
    },
  });
}
