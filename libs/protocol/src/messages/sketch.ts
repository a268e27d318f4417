/**
 * Per-camera score distribution of one scoring window: every scored frame (flagged or not) counted in the fixed
 * log-bucket histogram of sketch.ts. Sent once per window (and when the model version changes mid-window), QoS 1: the
 * controller proposes per-camera thresholds and watches drift from these, so a lost window would bias both.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { BUCKET_COUNT, MAX_BUCKET, MIN_BUCKET } from '../sketch.js';
import { CameraId, Counter, ModelVersion, Score, Timestamp } from './common.js';

export const SketchCountsSchema = Type.Object(
  {
    /** Scores ≤ MIN_TRACKED (1e-6), including 0. */
    zero: Counter,
    /** Bucket index of counts[0]; bucket i holds scores in (1.02^(i−1), 1.02^i]. */
    offset: Type.Integer({ minimum: MIN_BUCKET, maximum: MAX_BUCKET }),
    counts: Type.Array(Counter, { maxItems: BUCKET_COUNT }),
  },
  { description: 'Log-bucket histogram (γ = 1.02): contiguous counts from bucket `offset`' },
);

export const ScoreSketchSchema = Type.Object(
  {
    camera: CameraId,
    /** Model version that scored every frame of the window (a swap closes the window). */
    modelVersion: ModelVersion,
    /** First frame's time and the window's length; frames = zero + Σ counts. */
    start: Timestamp,
    durationMs: Type.Integer({ minimum: 0, maximum: 86_400_000 }),
    /** Threshold the window's last frame was judged by. */
    threshold: Score,
    /** Frames above their threshold (flagged) in the window. */
    flagged: Counter,
    sketch: SketchCountsSchema,
    /** Cheap per-frame statistics from a fixed 8×8 grid of pixels (agent-side, for drift and camera faults). */
    frames: Type.Optional(
      Type.Object(
        {
          /** Frames whose grid equals the previous frame's exactly (a frozen or stuck camera). */
          frozen: Counter,
          /** Frames whose grid's mean luma is below 16 (black: lens cap, lamp off, no signal). */
          dark: Counter,
          /** Frames with at least half the grid at luma ≥ 250 (over-exposed). */
          saturated: Counter,
          /** Mean luma (0–255) of the window's frames. */
          lumaMean: Type.Number({ minimum: 0, maximum: 255 }),
        },
        { description: 'Frame statistics of the window' },
      ),
    ),
  },
  { $id: 'linewatch/v1/scoreSketch', description: 'Per-camera score quantile sketch of one scoring window' },
);
export type ScoreSketchMessage = Static<typeof ScoreSketchSchema>;
