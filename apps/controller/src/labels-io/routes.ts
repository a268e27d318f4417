/**
 * Label export (any signed-in user who sees the line) and import (admin): an MVTec-layout zip or COCO JSON out,
 * an uploaded zip or a folder below labels.importRoot in. See README "Labels leave and enter".
 */
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import {
  ExportLabelsRoute,
  ImportLabelsFolderRoute,
  ImportLabelsZipRoute,
  type LabelExportQuery,
} from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { TypedApp } from '../http/typed-app.js';
import { canSeeLine, requireAuth } from '../auth/guard.js';
import { cocoJson } from './coco.js';
import { openFolderSource } from './folder-source.js';
import { importLabels, type ImportTarget } from './import.js';
import { mvtecZip } from './mvtec-zip.js';
import { selectLabels, type LabelSelection } from './selection.js';
import type { ImportSource } from './source.js';
import { spoolUpload, SpooledUpload } from './upload.js';
import { openZipSource } from './zip-source.js';

const ZIP_TYPES = ['application/zip', 'application/x-zip-compressed', 'application/octet-stream'];
const DEFAULT_CAMERA = 'import';

export async function registerLabelsIoRoutes(app: TypedApp, ctx: Ctx): Promise<void> {
  exportRoute(app, ctx);
  await zipImportRoute(app, ctx);
  folderImportRoute(app, ctx);
}

function selectionOf(line: string, q: LabelExportQuery): LabelSelection {
  const from = q.from === undefined ? undefined : new Date(q.from);
  const to = q.to === undefined ? undefined : new Date(q.to);
  if (from && to && from >= to) throw ctrlError('LW_CTRL_VALIDATION', '`from` must be before `to`');
  const classes = q.classes
    ?.split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  return {
    line,
    range: { ...(from && { from }), ...(to && { to }) },
    classes: classes === undefined ? null : new Set(classes),
    maxNormals: q.maxNormals ?? null,
  };
}

/** The byte routes declare no 2xx schema; the stream goes out through a plain FastifyReply (see http/raw-reply.ts). */
function sendStream(reply: FastifyReply, body: Readable, headers: Readonly<Record<string, string>>): FastifyReply {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  return reply.send(body);
}

function exportRoute(app: TypedApp, ctx: Ctx): void {
  app.route({
    ...ExportLabelsRoute,
    handler: async (req, reply) => {
      const { user } = requireAuth(req);
      const { line } = req.params;
      if (!canSeeLine(user, line)) throw ctrlError('LW_CTRL_NOT_FOUND', 'line not found');
      const items = await selectLabels(ctx.store, selectionOf(line, req.query));
      const exportedAt = ctx.clock.now();
      const cctx = { line, exportedAt, files: ctx.files, maxPixels: ctx.config.ingest.maxMaskPixels };
      const stamp = exportedAt.toISOString().replace(/[:.]/g, '-');
      req.log.info({ line, items: items.length, format: req.query.format ?? 'mvtec' }, 'labels exported');
      if (req.query.format === 'coco') {
        return sendStream(reply, Readable.from(cocoJson(cctx, items)), {
          'content-type': 'application/json; charset=utf-8',
          'content-disposition': `attachment; filename="labels-${line}-${stamp}.coco.json"`,
        });
      }
      return sendStream(reply, mvtecZip(cctx, items), {
        'content-type': 'application/zip',
        'content-disposition': `attachment; filename="labels-${line}-${stamp}.zip"`,
      });
    },
  });
}

async function runImport(ctx: Ctx, source: ImportSource, target: ImportTarget) {
  try {
    return await importLabels(ctx, source, target);
  } finally {
    await source.close();
  }
}

const limitsOf = (ctx: Ctx) => ({
  maxEntries: ctx.config.labels.maxImportEntries,
  maxTotalBytes: ctx.config.labels.maxImportUncompressedBytes,
});

async function zipImportRoute(app: TypedApp, ctx: Ctx): Promise<void> {
  const max = ctx.config.labels.maxImportBytes;
  // Own scope: the spooling parser applies to this upload only.
  await app.register(async (scope: TypedApp) => {
    for (const t of ZIP_TYPES) {
      if (scope.hasContentTypeParser(t)) scope.removeContentTypeParser(t);
      scope.addContentTypeParser(t, (req, payload, done) => {
        const declared = Number(req.headers['content-length']);
        spoolUpload(payload, Number.isFinite(declared) ? declared : null, max).then(
          (upload) => done(null, upload),
          (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
        );
      });
    }
    // Whatever happened after spooling (refusal, validation error, success), the temporary file goes.
    const removeSpooled = async (req: { body: unknown }) => {
      if (req.body instanceof SpooledUpload) await req.body.remove();
    };
    scope.addHook('onResponse', removeSpooled);
    // A client gone mid-import gets no response; its file goes anyway (an open reader keeps its descriptor).
    scope.addHook('onRequestAbort', removeSpooled);
    scope.route({
      ...ImportLabelsZipRoute,
      config: { access: 'admin' },
      handler: async (req, reply) => {
        const { user } = requireAuth(req);
        if (!(req.body instanceof SpooledUpload))
          throw ctrlError('LW_CTRL_UNSUPPORTED_MEDIA_TYPE', 'send the zip as application/zip');
        const source = await openZipSource(req.body.file, limitsOf(ctx));
        const target = { line: req.params.line, camera: req.query.camera ?? DEFAULT_CAMERA, userId: user.id };
        const result = await runImport(ctx, source, target);
        req.log.info({ ...result, skipped: undefined, bytes: req.body.bytes }, 'labels imported from a zip');
        return reply.code(201).send(result);
      },
    });
  });
}

function folderImportRoute(app: TypedApp, ctx: Ctx): void {
  app.route({
    ...ImportLabelsFolderRoute,
    config: { access: 'admin' },
    handler: async (req, reply) => {
      const { user } = requireAuth(req);
      const root = ctx.config.labels.importRoot;
      if (root === null) throw ctrlError('LW_CTRL_IMPORT_ROOT_UNSET');
      const source = await openFolderSource(root, req.body.path, limitsOf(ctx));
      const target = { line: req.params.line, camera: req.body.camera ?? DEFAULT_CAMERA, userId: user.id };
      const result = await runImport(ctx, source, target);
      req.log.info({ ...result, skipped: undefined, path: req.body.path }, 'labels imported from a folder');
      return reply.code(201).send(result);
    },
  });
}
