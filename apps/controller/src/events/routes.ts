/**
 * Review queue, event detail, blobs and label actions. Every route resolves the event first and answers 404 unless
 * the event's line is visible to the user (admins see all), so events on other lines cannot even be probed.
 */
import type { FastifyRequest } from 'fastify';
import {
  GetEventBlobRoute,
  GetEventRoute,
  LabelEventRoute,
  ListEventsRoute,
  PutMaskRoute,
} from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import { sendRaw } from '../http/raw-reply.js';
import type { TypedApp } from '../http/typed-app.js';
import type { EventRow } from '../store/types.js';
import { canSeeLine, requireAuth, visibleLines } from '../auth/guard.js';
import { classFilter, labelClass } from '../classes/label-class.js';
import { maskClassesOf } from '../classes/mask-classes.js';
import { registerDraftRoutes } from './draft-routes.js';
import { validateMaskPng } from './mask.js';
import { decodeCursor, encodeCursor, eventView } from './view.js';

const MAX_MASK_BYTES = 8 * 1024 * 1024;

export function registerEventRoutes(app: TypedApp, ctx: Ctx): void {
  listEventsRoute(app, ctx);
  app.route({
    ...GetEventRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const e = await visibleEvent(ctx, req, req.params.id);
      return { ...(await view(ctx, e)), hasDraft: await ctx.store.drafts.has(e.id, user.id) };
    },
  });
  eventBlobRoute(app, ctx);
  labelEventRoute(app, ctx);
  putMaskRoute(app, ctx);
  registerDraftRoutes(app, ctx, visibleEvent, MAX_MASK_BYTES);
}

export type VisibleEvent = typeof visibleEvent;

async function visibleEvent(ctx: Ctx, req: FastifyRequest, id: string): Promise<EventRow> {
  const { user } = requireAuth(req);
  const e = await ctx.store.events.get(id);
  if (!e || !canSeeLine(user, e.line)) throw ctrlError('LW_CTRL_NOT_FOUND', 'event not found');
  return e;
}

const view = async (ctx: Ctx, e: EventRow) => eventView(e, (await ctx.store.events.getMask(e.id)) !== null);

function listEventsRoute(app: TypedApp, ctx: Ctx): void {
  app.route({
    ...ListEventsRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const q = req.query;
      const rows = await ctx.store.events.list({
        visibleLines: visibleLines(user),
        line: q.line,
        camera: q.camera,
        deviceId: q.deviceId,
        modelVersion: q.modelVersion,
        minScore: q.minScore,
        maxScore: q.maxScore,
        status: q.status,
        defectClass: classFilter(q.defectClass),
        before: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
        limit: q.limit + 1, // one extra row tells whether there is a next page
      });
      const page = rows.slice(0, q.limit);
      const masks = await ctx.store.events.withMasks(page.map((e) => e.id));
      const last = page[page.length - 1];
      return {
        events: page.map((e) => eventView(e, masks.has(e.id))),
        nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null,
      };
    },
  });
}

function eventBlobRoute(app: TypedApp, ctx: Ctx): void {
  app.route({
    ...GetEventBlobRoute,
    handler: async (req, reply) => {
      const { id, blob } = req.params;
      const e = await visibleEvent(ctx, req, id);
      let ref: string;
      if (blob === 'frame') ref = e.frameRef;
      else if (blob === 'map') ref = e.mapRef;
      else {
        const m = await ctx.store.events.getMask(e.id);
        if (!m) throw ctrlError('LW_CTRL_NOT_FOUND', 'event has no mask');
        ref = m.ref;
      }
      const bytes = await ctx.files.get(ref);
      // Content-addressed: the bytes behind a ref never change, but they are private to signed-in users.
      return sendRaw(reply, bytes, {
        'content-type': blob === 'frame' ? 'image/jpeg' : 'image/png',
        'cache-control': 'private, max-age=31536000, immutable',
        etag: `"${ref}"`,
      });
    },
  });
}

function labelEventRoute(app: TypedApp, ctx: Ctx): void {
  app.route({
    ...LabelEventRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const { id, action } = req.params;
      const e = await visibleEvent(ctx, req, id);
      const status = action === 'confirm' ? 'confirmed' : 'rejected';
      const defectClassId = await labelClass(ctx, e, action, req.body);
      const updated = await ctx.store.events.label(id, status, user.id, ctx.clock.now(), defectClassId);
      if (!updated) throw ctrlError('LW_CTRL_NOT_FOUND', 'event not found');
      req.log.info({ eventId: id, status, defectClassId, reviewer: user.id }, 'event labelled');
      return view(ctx, updated);
    },
  });
}

function putMaskRoute(app: TypedApp, ctx: Ctx): void {
  app.addContentTypeParser('image/png', { parseAs: 'buffer', bodyLimit: MAX_MASK_BYTES }, (_req, body, done) =>
    done(null, body),
  );
  app.route({
    ...PutMaskRoute,
    bodyLimit: MAX_MASK_BYTES,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const e = await visibleEvent(ctx, req, req.params.id);
      const body = req.body;
      if (!Buffer.isBuffer(body)) throw ctrlError('LW_CTRL_UNSUPPORTED_MEDIA_TYPE', 'send the mask as image/png');
      const size = await validateMaskPng(
        body,
        { width: e.frameWidth, height: e.frameHeight },
        ctx.config.ingest.maxMaskPixels,
      );
      const maxPixels = ctx.config.ingest.maxMaskPixels;
      const classes = maskClassesOf(body, await ctx.store.classes.list(e.line), maxPixels);
      const ref = await ctx.files.put(body);
      const now = ctx.clock.now();
      await ctx.store.events.saveMask({ eventId: e.id, ref, ...size, authorId: user.id, createdAt: now }, classes);
      // The strokes are saved: the reviewer's draft of them has done its job.
      await ctx.store.drafts.delete(e.id, user.id);
      // A painted mask says where the anomaly is: the event is confirmed (confirmed-with-mask in the training set).
      const updated = await ctx.store.events.label(e.id, 'confirmed', user.id, now);
      return eventView(updated ?? e, true);
    },
  });
}
