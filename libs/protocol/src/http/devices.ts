/** Device provisioning and listing. */
import { Type, type Static } from '@sinclair/typebox';
import { IdParams, IsoDate, Slug, errorResponses } from './common.js';

export const DeviceView = Type.Object({
  id: Slug,
  name: Type.String(),
  site: Slug,
  line: Slug,
  createdAt: IsoDate,
  disabled: Type.Boolean(),
});
export type DeviceView = Static<typeof DeviceView>;

export const CreateDeviceBody = Type.Object(
  {
    id: Slug,
    name: Type.String({ minLength: 1, maxLength: 128 }),
    /** Topic segments: the device publishes under linewatch/v1/{site}/{line}/{id}/. */
    site: Type.Optional(Slug),
    line: Slug,
  },
  { additionalProperties: false },
);
export type CreateDeviceBody = Static<typeof CreateDeviceBody>;

/** Returned once at provisioning: the secret is stored only as a hash and cannot be shown again. */
export const DeviceCredentials = Type.Object({
  device: DeviceView,
  credentials: Type.Object({
    username: Type.String(),
    password: Type.String(),
    clientId: Type.String(),
    topicPrefix: Type.String(),
  }),
});
export type DeviceCredentials = Static<typeof DeviceCredentials>;

export const CreateDeviceRoute = {
  method: 'POST',
  url: '/api/devices',
  schema: { tags: ['devices'], body: CreateDeviceBody, response: { 201: DeviceCredentials, ...errorResponses } },
} as const;

export const ListDevicesRoute = {
  method: 'GET',
  url: '/api/devices',
  schema: { tags: ['devices'], response: { 200: Type.Object({ devices: Type.Array(DeviceView) }), ...errorResponses } },
} as const;

export const GetDeviceRoute = {
  method: 'GET',
  url: '/api/devices/:id',
  schema: { tags: ['devices'], params: IdParams, response: { 200: DeviceView, ...errorResponses } },
} as const;

export const ScoreQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type ScoreQuery = Static<typeof ScoreQuery>;

/** Per camera and minute: how many frames were scored, their mean and max score, and how many were flagged. */
export const ScorePoint = Type.Object({
  camera: Type.String(),
  minute: IsoDate,
  count: Type.Integer(),
  mean: Type.Number(),
  max: Type.Number(),
  flagged: Type.Integer(),
});
export type ScorePoint = Static<typeof ScorePoint>;

export const DeviceScoresRoute = {
  method: 'GET',
  url: '/api/devices/:id/scores',
  schema: {
    tags: ['devices'],
    description: 'Score aggregates per camera and minute (default: the last hour; at most 7 days)',
    params: IdParams,
    querystring: ScoreQuery,
    response: { 200: Type.Object({ points: Type.Array(ScorePoint) }), ...errorResponses },
  },
} as const;

/** Disables a device: its MQTT session is closed and it can no longer connect; its data stays. */
export const DisableDeviceRoute = {
  method: 'POST',
  url: '/api/devices/:id/disable',
  schema: { tags: ['devices'], params: IdParams, response: { 200: DeviceView, ...errorResponses } },
} as const;
