/**
 * Review drafts: the signed-in reviewer's unsaved mask strokes on an event, kept server-side so that leaving the
 * event (next/previous, back to the queue, a reload) loses nothing. A draft is not a label: it changes no status,
 * mask or statistic; saving the mask (PUT /api/events/:id/mask) deletes it. One draft per event and user.
 */
import { Type } from '@sinclair/typebox';
import { IdParams, errorResponses } from './common.js';

/** Response: the draft as `image/png` (the painter's layer, frame-sized); 404 `LW_CTRL_NOT_FOUND` when none. */
export const GetDraftRoute = {
  method: 'GET',
  url: '/api/events/:id/draft',
  schema: {
    tags: ['labels'],
    description: "The signed-in user's unsaved mask strokes on the event (PNG); 404 when there is no draft",
    params: IdParams,
    produces: ['image/png'],
    response: { ...errorResponses },
  },
} as const;

/** Body: the painter's layer as a PNG (content-type image/png), same width and height as the frame. */
export const PutDraftRoute = {
  method: 'PUT',
  url: '/api/events/:id/draft',
  schema: {
    tags: ['labels'],
    description: "Create or replace the signed-in user's draft on the event (PNG, frame-sized); not a label",
    params: IdParams,
    consumes: ['image/png'],
    response: { 204: Type.Null(), ...errorResponses },
  },
} as const;

export const DeleteDraftRoute = {
  method: 'DELETE',
  url: '/api/events/:id/draft',
  schema: {
    tags: ['labels'],
    description: "Discard the signed-in user's draft on the event (204 whether or not there was one)",
    params: IdParams,
    response: { 204: Type.Null(), ...errorResponses },
  },
} as const;
