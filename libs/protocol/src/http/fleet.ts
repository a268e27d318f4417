/** Fleet view: what each visible device last reported. */
import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, errorResponses } from './common.js';

export const FleetEntry = Type.Object({
  deviceId: Type.String(),
  name: Type.String(),
  line: Type.String(),
  online: Type.Boolean(),
  lastSeen: IsoDate,
  agentVersion: Type.Union([Type.String(), Type.Null()]),
  modelVersion: Type.Union([Type.String(), Type.Null()]),
  status: Type.Unknown(),
  health: Type.Unknown(),
});
export type FleetEntry = Static<typeof FleetEntry>;

export const FleetRoute = {
  method: 'GET',
  url: '/api/fleet',
  schema: { tags: ['fleet'], response: { 200: Type.Object({ devices: Type.Array(FleetEntry) }), ...errorResponses } },
} as const;
