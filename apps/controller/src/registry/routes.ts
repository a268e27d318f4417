/**
 * Registry HTTP: list/get (any signed-in user; QA users see their lines plus fleet-wide models), upload and approve
 * (admins), and the package download — public in the guard's sense, because it authenticates itself: either a
 * signed link (what desiredModel carries) or a signed-in session. Range requests let an agent resume; they read only the asked bytes from the blob store.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ApproveModelRoute,
  DownloadPackageRoute,
  GetModelRoute,
  ListModelsRoute,
  UploadModelRoute,
} from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError, isControllerError } from '../errors.js';
import type { TypedApp } from '../http/typed-app.js';
import { canSeeLine, requireAuth, resolveSession, visibleLines } from '../auth/guard.js';
import type { RolloutActions } from '../rollouts/commands.js';
import type { DownloadTokens } from './download-token.js';
import { adoptInstalled, deviceCounts, scopeCounts } from './installed.js';
import { readManifestVersion } from './manifest-version.js';
import { parseRange, type RangeResult } from './range.js';
import type { ModelVersionRow, Registry } from './registry.js';
import { modelView, type UserNames } from './view.js';

const PACKAGE_TYPES = ['application/octet-stream', 'application/x-tar', 'application/gzip'];

export async function registerRegistryRoutes(
  app: TypedApp,
  ctx: Ctx,
  registry: Registry,
  tokens: DownloadTokens,
  rollouts: RolloutActions,
): Promise<void> {
  app.route({
    ...ListModelsRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const q = req.query;
      const lines = visibleLines(user);
      const listed = await registry.list({
        limit: q.limit ?? 100,
        ...(q.line !== undefined && { line: q.line }),
        ...(q.status !== undefined && { status: q.status }),
        ...(lines && { visibleLines: lines }),
      });
      const counts = await deviceCounts(ctx, listed);
      const models = await adoptInstalled(registry, listed, counts);
      const names = await userNames(ctx, models);
      return { models: models.map((m) => modelView(m, counts.get(m.version), names)) };
    },
  });
  app.route({
    ...GetModelRoute,
    handler: async (req) => {
      const found = await visibleModel(registry, req, req.params.version);
      const counts = await deviceCounts(ctx, [found]);
      const [m] = await adoptInstalled(registry, [found], counts);
      return modelView(m!, counts.get(found.version), await userNames(ctx, [m!]));
    },
  });
  approveRoute(app, ctx, registry, rollouts);
  await uploadRoute(app, ctx, registry);
  downloadRoute(app, ctx, registry, tokens);
}

/** Approvers' names by id; users are few, so one list read serves a whole page of versions. */
async function userNames(ctx: Ctx, rows: ModelVersionRow[]): Promise<UserNames> {
  if (!rows.some((r) => r.approvedBy !== null)) return new Map();
  return new Map((await ctx.store.users.list()).map((u) => [u.id, u.username]));
}

/** Fleet-wide models (line null) are visible to everyone signed in; others only on the user's lines. */
async function visibleModel(registry: Registry, req: FastifyRequest, version: string): Promise<ModelVersionRow> {
  const { user } = requireAuth(req);
  const m = await registry.get(version);
  if (!m || (m.line !== null && !canSeeLine(user, m.line)))
    throw ctrlError('LW_CTRL_NOT_FOUND', `no model version ${version}`);
  return m;
}

function approveRoute(app: TypedApp, ctx: Ctx, registry: Registry, rollouts: RolloutActions): void {
  app.route({
    ...ApproveModelRoute,
    config: { access: 'admin' },
    handler: async (req) => {
      const { user } = requireAuth(req);
      const { version } = req.params;
      const body = req.body;
      await refuseIfLive(ctx, await visibleModel(registry, req, version), body.line);
      let model = await registry.approve(version, user.id);
      let rolloutId: string | null = null;
      if (body.startRollout !== false) {
        // On any replica: the leader's engine plans and starts it (commands.ts).
        rolloutId = await rollouts.create(version, body.line, user.id, body.policy ?? {});
        model = (await registry.get(version))!;
      }
      req.log.info({ version, rolloutId, by: user.id }, 'model version approved');
      return { model: modelView(model, undefined, await userNames(ctx, [model])), rolloutId };
    },
  });
}

/** A version every device of the approval's scope already runs has nothing to roll out: 409, not a no-op rollout. */
async function refuseIfLive(ctx: Ctx, model: ModelVersionRow, line: string | null | undefined): Promise<void> {
  const scope = line === undefined ? model.line : line;
  const c = await scopeCounts(ctx, model.version, scope);
  if (c.total > 0 && c.running === c.total)
    throw ctrlError(
      'LW_CTRL_MODEL_ALREADY_LIVE',
      `${model.version} already runs on every device of ${scope === null ? 'the fleet' : `line ${scope}`} (${c.running} of ${c.total}): nothing to approve or roll out`,
    );
}

async function uploadRoute(app: TypedApp, ctx: Ctx, registry: Registry): Promise<void> {
  const maxBytes = ctx.config.registry.maxPackageBytes;
  // Own scope: the package parser and its large body limit apply to the upload only.
  await app.register(async (scope: TypedApp) => {
    for (const t of PACKAGE_TYPES) {
      if (scope.hasContentTypeParser(t)) scope.removeContentTypeParser(t);
      scope.addContentTypeParser(t, { parseAs: 'buffer', bodyLimit: maxBytes }, (_r, body, done) => done(null, body));
    }
    scope.route({
      ...UploadModelRoute,
      config: { access: 'admin' },
      bodyLimit: maxBytes,
      handler: async (req, reply) => {
        const { user } = requireAuth(req);
        if (!Buffer.isBuffer(req.body))
          throw ctrlError('LW_CTRL_UNSUPPORTED_MEDIA_TYPE', `send the package tar as ${PACKAGE_TYPES.join(' or ')}`);
        const q = req.query;
        const tar = req.body;
        // The version defaults to the manifest's `<version>+<build>`: read it from a verified package first.
        const version = q.version ?? readManifestVersion(tar, maxBytes);
        const before = await registry.get(version);
        const row = await registry.addVersion({
          version,
          line: q.line ?? null,
          parentVersion: q.parentVersion ?? null,
          jobId: null,
          datasetSnapshotId: null,
          metrics: null,
          threshold: q.threshold ?? null,
          packageTar: tar,
          createdBy: user.id,
        });
        reply.code(before ? 200 : 201);
        return modelView(row);
      },
    });
  });
}

function downloadRoute(app: TypedApp, ctx: Ctx, registry: Registry, tokens: DownloadTokens): void {
  app.route({
    ...DownloadPackageRoute,
    config: { access: 'public' },
    handler: async (req, reply) => {
      const { version } = req.params;
      const q = req.query;
      let row: ModelVersionRow | null;
      if (q.sig !== undefined || q.exp !== undefined || q.device !== undefined) {
        tokens.verify(version, q);
        row = await registry.get(version);
      } else {
        req.auth = await resolveSession(ctx, req);
        row = await visibleModel(registry, req, version);
      }
      if (!row) throw ctrlError('LW_CTRL_NOT_FOUND', `no model version ${version}`);
      const range = rangeOf(req, reply, row);
      reply.header('accept-ranges', 'bytes');
      reply.header('etag', `"${row.sha256}"`);
      reply.header('content-type', 'application/octet-stream');
      reply.header('cache-control', 'private, no-store');
      if (range.kind === 'full') return (await registry.packageBytes(version)).bytes;
      reply.code(206);
      reply.header('content-range', `bytes ${range.start}-${range.end}/${row.bytes}`);
      return registry.packageRange(row, range.start, range.end);
    },
  });
}

/** The Range asked for, or the whole package (no Range, or an If-Range for other bytes); 416 names the size. */
function rangeOf(req: FastifyRequest, reply: FastifyReply, row: ModelVersionRow): RangeResult {
  const ifRange = req.headers['if-range'];
  // A range against another version of the bytes must not be stitched onto a stale partial file.
  const range = ifRange !== undefined && ifRange !== `"${row.sha256}"` ? undefined : req.headers.range;
  try {
    return parseRange(range, row.bytes);
  } catch (e) {
    if (isControllerError(e, 'LW_CTRL_RANGE_NOT_SATISFIABLE')) reply.header('content-range', `bytes */${row.bytes}`);
    throw e;
  }
}
