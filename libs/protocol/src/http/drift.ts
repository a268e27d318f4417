/**
 * Drift alerts (issue #20): per camera, the live score distribution against the one it was calibrated on (PSI and
 * median shift over the same sketch buckets), and camera faults from the agents' frame statistics (frozen, black,
 * over-exposed frames). Evaluated on request from the stored sketch windows; lines the user cannot see are left out.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, errorResponses } from './common.js';

export const DriftKind = Type.Union([
  Type.Literal('score-drift'),
  Type.Literal('frozen'),
  Type.Literal('black'),
  Type.Literal('saturated'),
]);

export const DriftAlertView = Type.Object({
  deviceId: Type.String(),
  line: Type.String(),
  camera: Type.String(),
  kind: DriftKind,
  modelVersion: Type.String(),
  /** Start of the unbroken run of windows, ending with the newest, that meet the alert's condition. */
  startedAt: IsoDate,
  /** PSI for score drift; the share (0–1) of affected frames for a camera fault. */
  magnitude: Type.Number(),
  /** Relative shift of the median score (score drift only). */
  medianShift: Type.Union([Type.Number(), Type.Null()]),
  suggestion: Type.Union([Type.Literal('recalibrate'), Type.Literal('retrain'), Type.Literal('check the camera')]),
});
export type DriftAlertView = Static<typeof DriftAlertView>;

export const CameraDriftView = Type.Object({
  deviceId: Type.String(),
  line: Type.String(),
  camera: Type.String(),
  /** PSI against the calibration baseline; null when the camera has no revision for its model or too few frames. */
  psi: Type.Union([Type.Number(), Type.Null()]),
});

export const ListDriftAlertsRoute = {
  method: 'GET',
  url: '/api/drift/alerts',
  schema: {
    tags: ['calibration'],
    description:
      'Active drift and camera-fault alerts (live = each camera’s newest 10 windows) of cameras that reported in the last `minutes`',
    querystring: Type.Object(
      { minutes: Type.Number({ minimum: 0.05, maximum: 1440, default: 10 }) },
      { additionalProperties: false },
    ),
    response: {
      200: Type.Object({ alerts: Type.Array(DriftAlertView), cameras: Type.Array(CameraDriftView) }),
      ...errorResponses,
    },
  },
} as const;
