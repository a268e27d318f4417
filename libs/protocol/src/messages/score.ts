/** Per-frame score: the highest-volume message, so it stays tiny and is sent QoS 0 (a lost one is harmless). */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { CameraId, Counter, Score, Timestamp } from './common.js';

export const ScoreSchema = Type.Object(
  {
    camera: CameraId,
    /** Per-camera frame counter; gaps reveal dropped frames without a separate message. */
    frame: Counter,
    ts: Timestamp,
    score: Score,
    /** Score of the candidate model while a shadow rollout runs, so the controller can compare on the same frame. */
    shadowScore: Type.Optional(Score),
  },
  { $id: 'linewatch/v1/score', description: 'Per-frame image score' },
);
export type ScoreMessage = Static<typeof ScoreSchema>;
