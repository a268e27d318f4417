/**
 * The trainer worker's API (`/api/worker/*`, access 'worker': bearer worker token, see auth/worker-token.ts).
 * Dataset files are addressed by (snapshot id, event id) and resolved through the snapshot's stored refs, which
 * the FileStore validates as sha256 hex: no request string reaches a file path, so nothing outside the blob store
 * (nor any blob outside the snapshot) can be read.
 */
import {
  ClaimJobRoute,
  CompleteJobRoute,
  DatasetFileRoute,
  DatasetManifestRoute,
  FailJobRoute,
  HeartbeatRoute,
  ParentPackageRoute,
  UploadPackageRoute,
} from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import { sendRaw } from '../http/raw-reply.js';
import type { TypedApp } from '../http/typed-app.js';
import type { JobService } from './service.js';
import { datasetItemView, jobView, snapshotView } from './view.js';

const TAR = 'application/x-tar';
const worker = { access: 'worker' as const };

export async function registerWorkerRoutes(app: TypedApp, ctx: Ctx, jobs: JobService): Promise<void> {
  const maxPackageBytes = ctx.config.jobs.maxPackageBytes;
  // Own encapsulated scope: the tar parser and its large body limit apply to the package upload only.
  await app.register(async (scope: TypedApp) => {
    if (scope.hasContentTypeParser(TAR)) scope.removeContentTypeParser(TAR);
    scope.addContentTypeParser(TAR, { parseAs: 'buffer', bodyLimit: maxPackageBytes }, (_req, body, done) =>
      done(null, body),
    );
    claimRoute(scope, ctx, jobs);
    scope.route({
      ...HeartbeatRoute,
      config: worker,
      handler: async (req) => {
        const { leaseId, progress } = req.body;
        const j = await jobs.heartbeat(req.params.id, leaseId, progress);
        return { leaseExpiresAt: (j.leaseExpiresAt ?? new Date(0)).toISOString(), status: j.status };
      },
    });
    datasetRoutes(scope, ctx, jobs);
    packageRoutes(scope, jobs, maxPackageBytes);
    finishRoutes(scope, jobs);
  });
}

function claimRoute(app: TypedApp, ctx: Ctx, jobs: JobService): void {
  app.route({
    ...ClaimJobRoute,
    config: worker,
    handler: async (req) => {
      const { workerId } = req.body;
      const claim = await jobs.claim(workerId);
      if (!claim) return { claim: null };
      const { job, leaseId } = claim;
      const id = encodeURIComponent(job.id);
      req.log.info({ jobId: job.id, workerId, attempt: job.attempt }, 'training job claimed');
      return {
        claim: {
          job: jobView(job),
          leaseId,
          leaseMs: ctx.config.jobs.leaseMs,
          manifestUrl: `/api/worker/datasets/${encodeURIComponent(job.datasetSnapshotId)}`,
          parentPackageUrl: job.parentVersion === null ? null : `/api/worker/jobs/${id}/parent-package`,
          packageUrl: `/api/worker/jobs/${id}/package?lease=${encodeURIComponent(leaseId)}`,
          maxPackageBytes: ctx.config.jobs.maxPackageBytes,
        },
      };
    },
  });
}

function datasetRoutes(app: TypedApp, ctx: Ctx, jobs: JobService): void {
  app.route({
    ...DatasetManifestRoute,
    config: worker,
    handler: async (req) => {
      const id = req.params.id;
      const s = await jobs.store.getSnapshot(id);
      if (!s) throw ctrlError('LW_CTRL_NOT_FOUND', 'dataset snapshot not found');
      const items = await jobs.store.listSnapshotItems(id);
      return { snapshot: snapshotView(s), items: items.map(datasetItemView) };
    },
  });
  app.route({
    ...DatasetFileRoute,
    config: worker,
    handler: async (req, reply) => {
      const { id, item, file } = req.params;
      const row = await jobs.store.getSnapshotItem(id, item);
      if (!row) throw ctrlError('LW_CTRL_NOT_FOUND', 'no such item in this snapshot');
      const ref = file === 'image' ? row.frameRef : row.maskRef;
      if (ref === null) throw ctrlError('LW_CTRL_NOT_FOUND', 'item has no mask');
      const bytes = await ctx.files.get(ref);
      return sendRaw(reply, bytes, {
        'content-type': file === 'image' ? 'image/jpeg' : 'image/png',
        'cache-control': 'private, max-age=31536000, immutable',
        etag: `"${ref}"`,
      });
    },
  });
}

function packageRoutes(app: TypedApp, jobs: JobService, maxPackageBytes: number): void {
  app.route({
    ...ParentPackageRoute,
    config: worker,
    handler: async (req, reply) => {
      const j = await jobs.getJob(req.params.id);
      if (j.parentVersion === null) throw ctrlError('LW_CTRL_NOT_FOUND', 'job has no parent model');
      const tar = await jobs.models.packageTar(j.parentVersion);
      if (!tar) throw ctrlError('LW_CTRL_NOT_FOUND', `parent package ${j.parentVersion} not in the registry`);
      return sendRaw(reply, tar, {
        'content-type': TAR,
        'content-disposition': `attachment; filename="${j.parentVersion}.tar"`,
      });
    },
  });
  app.route({
    ...UploadPackageRoute,
    config: worker,
    bodyLimit: maxPackageBytes,
    handler: async (req) => {
      const body = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0)
        throw ctrlError('LW_CTRL_UNSUPPORTED_MEDIA_TYPE', `send the package as a non-empty ${TAR} body`);
      return jobs.uploadPackage(req.params.id, req.query.lease, body);
    },
  });
}

function finishRoutes(app: TypedApp, jobs: JobService): void {
  app.route({
    ...CompleteJobRoute,
    config: worker,
    handler: async (req) => jobView(await jobs.complete(req.params.id, req.body)),
  });
  app.route({
    ...FailJobRoute,
    config: worker,
    handler: async (req) => {
      const { leaseId, code, message } = req.body;
      return jobView(await jobs.fail(req.params.id, leaseId, code, message));
    },
  });
}
