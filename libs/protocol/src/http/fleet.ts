/** Fleet view: what each visible device last reported. */
import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, errorResponses } from './common.js';

/** ok / degraded (agent state or active problems) / offline (no live session): derived by the controller. */
export const FleetCondition = Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('offline')]);
export type FleetCondition = Static<typeof FleetCondition>;

/** An active problem from the device's last health report (codes from the agent's catalogue, LW_AGENT_*). */
export const FleetProblem = Type.Object({
  key: Type.String(),
  code: Type.String({ pattern: '^LW_[A-Z0-9_]+$' }),
  message: Type.String(),
});
export type FleetProblem = Static<typeof FleetProblem>;

export const FleetEntry = Type.Object({
  deviceId: Type.String(),
  name: Type.String(),
  line: Type.String(),
  online: Type.Boolean(),
  lastSeen: IsoDate,
  agentVersion: Type.Union([Type.String(), Type.Null()]),
  modelVersion: Type.Union([Type.String(), Type.Null()]),
  condition: FleetCondition,
  problems: Type.Array(FleetProblem),
  /** The onnxruntime execution provider the last health report names (e.g. cpu after a cuda fallback). */
  executionProvider: Type.Union([Type.String(), Type.Null()]),
  status: Type.Unknown(),
  health: Type.Unknown(),
});
export type FleetEntry = Static<typeof FleetEntry>;

export const FleetRoute = {
  method: 'GET',
  url: '/api/fleet',
  schema: { tags: ['fleet'], response: { 200: Type.Object({ devices: Type.Array(FleetEntry) }), ...errorResponses } },
} as const;
