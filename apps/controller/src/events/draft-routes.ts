/**
 * Review drafts over HTTP: the signed-in reviewer's unsaved mask strokes on an event, saved (debounced) by the UI
 * while painting and restored when the reviewer returns. Same visibility as the event itself (404 for events on
 * lines the user cannot see), same PNG checks as a mask; a draft never changes the event's label or statistics.
 */
import { DeleteDraftRoute, GetDraftRoute, PutDraftRoute } from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import { sendRaw } from '../http/raw-reply.js';
import type { TypedApp } from '../http/typed-app.js';
import { requireAuth } from '../auth/guard.js';
import { validateMaskPng } from './mask.js';
import type { VisibleEvent } from './routes.js';

/** Needs the image/png body parser, which the mask route registers on the same app first. */
export function registerDraftRoutes(app: TypedApp, ctx: Ctx, visibleEvent: VisibleEvent, maxBytes: number): void {
  app.route({
    ...GetDraftRoute,
    handler: async (req, reply) => {
      const { user } = requireAuth(req);
      const e = await visibleEvent(ctx, req, req.params.id);
      const draft = await ctx.store.drafts.get(e.id, user.id);
      if (!draft) throw ctrlError('LW_CTRL_NOT_FOUND', 'no draft on this event');
      // Drafts change while painting: never cached.
      return sendRaw(reply, draft.png, { 'content-type': 'image/png', 'cache-control': 'private, no-store' });
    },
  });
  app.route({
    ...PutDraftRoute,
    bodyLimit: maxBytes,
    handler: async (req, reply) => {
      const { user } = requireAuth(req);
      const e = await visibleEvent(ctx, req, req.params.id);
      const body = req.body;
      if (!Buffer.isBuffer(body)) throw ctrlError('LW_CTRL_UNSUPPORTED_MEDIA_TYPE', 'send the draft as image/png');
      const frame = { width: e.frameWidth, height: e.frameHeight };
      await validateMaskPng(body, frame, ctx.config.ingest.maxMaskPixels);
      await ctx.store.drafts.save({ eventId: e.id, userId: user.id, png: body, updatedAt: ctx.clock.now() });
      return reply.code(204).send(null);
    },
  });
  app.route({
    ...DeleteDraftRoute,
    handler: async (req, reply) => {
      const { user } = requireAuth(req);
      const e = await visibleEvent(ctx, req, req.params.id);
      await ctx.store.drafts.delete(e.id, user.id);
      return reply.code(204).send(null);
    },
  });
}
