/**
 * Per-camera threshold, retained on a per-camera topic so each camera's value survives broker and agent restarts
 * independently; publishing an empty retained payload removes a camera's override (MQTT semantics, not a message).
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { CameraId, Counter, ModelVersion, Score, Timestamp } from './common.js';

export const ThresholdSchema = Type.Object(
  {
    camera: CameraId,
    threshold: Score,
    /** Monotonic per camera: an agent ignores a lower revision than the one it holds (late redelivery). */
    revision: Counter,
    /** Model version the threshold was calibrated for; the agent falls back to the manifest's if they differ. */
    modelVersion: Type.Optional(ModelVersion),
    ts: Timestamp,
  },
  { $id: 'linewatch/v1/threshold', description: 'Per-camera threshold config (retained)' },
);
export type ThresholdMessage = Static<typeof ThresholdSchema>;
