/** Review queue, event detail, blobs and label actions. */
import { Type, type Static } from '@sinclair/typebox';
import { LabelBody } from './classes.js';
import { Id, IdParams, IsoDate, LabelStatus, errorResponses } from './common.js';

export const EventView = Type.Object({
  id: Id,
  deviceId: Type.String(),
  sequence: Type.Integer(),
  line: Type.String(),
  camera: Type.String(),
  ts: IsoDate,
  receivedAt: IsoDate,
  modelVersion: Type.String(),
  /** Raw score in the model's units. */
  score: Type.Number(),
  threshold: Type.Number(),
  /** score ÷ threshold: 1.0 is the line's threshold (null when the threshold is not positive). */
  normalizedScore: Type.Union([Type.Number(), Type.Null()]),
  frameWidth: Type.Integer(),
  frameHeight: Type.Integer(),
  labelStatus: LabelStatus,
  reviewerId: Type.Union([Type.String(), Type.Null()]),
  reviewedAt: Type.Union([IsoDate, Type.Null()]),
  hasMask: Type.Boolean(),
  /** The signed-in user has unsaved mask strokes (a draft) on this event; set by the event detail route only. */
  hasDraft: Type.Optional(Type.Boolean()),
  /** The defect class the confirmation names (null: none). */
  defectClassId: Type.Union([Type.String(), Type.Null()]),
});
export type EventView = Static<typeof EventView>;

export const EventQueueQuery = Type.Object(
  {
    line: Type.Optional(Type.String({ maxLength: 64 })),
    camera: Type.Optional(Type.String({ maxLength: 64 })),
    deviceId: Type.Optional(Type.String({ maxLength: 64 })),
    modelVersion: Type.Optional(Type.String({ maxLength: 64 })),
    minScore: Type.Optional(Type.Number({ minimum: 0 })),
    maxScore: Type.Optional(Type.Number({ minimum: 0 })),
    status: Type.Optional(LabelStatus),
    /** A class id: events whose confirmation names it or whose mask paints it; `none`: confirmed, unclassified. */
    defectClass: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    /** Opaque: pass `nextCursor` from the previous page. */
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type EventQueueQuery = Static<typeof EventQueueQuery>;

export const EventQueue = Type.Object({
  events: Type.Array(EventView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type EventQueue = Static<typeof EventQueue>;

export const ListEventsRoute = {
  method: 'GET',
  url: '/api/events',
  schema: {
    tags: ['events'],
    description: 'Review queue, newest first, with keyset pagination',
    querystring: EventQueueQuery,
    response: { 200: EventQueue, ...errorResponses },
  },
} as const;

export const GetEventRoute = {
  method: 'GET',
  url: '/api/events/:id',
  schema: { tags: ['events'], params: IdParams, response: { 200: EventView, ...errorResponses } },
} as const;

export const BlobKind = Type.Union([Type.Literal('frame'), Type.Literal('map'), Type.Literal('mask')]);
export const BlobParams = Type.Object({ id: Id, blob: BlobKind }, { additionalProperties: false });
export type BlobParams = Static<typeof BlobParams>;

export const GetEventBlobRoute = {
  method: 'GET',
  url: '/api/events/:id/:blob',
  schema: {
    tags: ['events'],
    description: 'The JPEG frame, the PNG anomaly map, or the PNG mask',
    params: BlobParams,
    produces: ['image/jpeg', 'image/png'],
    response: { ...errorResponses },
  },
} as const;

export const LabelParams = Type.Object(
  { id: Id, action: Type.Union([Type.Literal('confirm'), Type.Literal('reject')]) },
  { additionalProperties: false },
);
export type LabelParams = Static<typeof LabelParams>;

export const LabelEventRoute = {
  method: 'POST',
  url: '/api/events/:id/:action',
  schema: {
    tags: ['labels'],
    description: 'Confirm (optionally naming a defect class) or reject',
    params: LabelParams,
    body: LabelBody,
    response: { 200: EventView, ...errorResponses },
  },
} as const;

/**
 * Body: the mask as a PNG (content-type image/png), same width and height as the frame. Indexed colour: palette
 * index = defect class (`paletteIndex`; 0 background, 255 unclassified); any other PNG: > 127 = anomalous.
 */
export const PutMaskRoute = {
  method: 'PUT',
  url: '/api/events/:id/mask',
  schema: {
    tags: ['labels'],
    description: 'Save the painted mask (PNG, frame-sized); marks the event confirmed',
    params: IdParams,
    consumes: ['image/png'],
    response: { 200: EventView, ...errorResponses },
  },
} as const;
