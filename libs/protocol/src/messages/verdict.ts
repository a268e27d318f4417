/**
 * Line integration: a verdict for every scored frame (what a PLC, SCADA screen or Node-RED flow acts on) and the
 * capture command that asks a `trigger` camera for one frame tagged with the caller's part id.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { CameraId, Counter, Literals, ModelVersion, Score, Timestamp } from './common.js';

/** Part ids come from line software (barcodes, PLC counters): printable, bounded, no control characters. */
export const PartId = Type.String({
  pattern: '^[\\x21-\\x7E]{1,128}$',
  minLength: 1,
  maxLength: 128,
  description: 'Part id from the trigger (printable ASCII, no spaces)',
});

export const VERDICTS = ['ok', 'anomalous', 'uncertain'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const VerdictSchema = Type.Object(
  {
    camera: CameraId,
    /** Per-camera frame counter, as in `score`. */
    frame: Counter,
    /** Present when the frame was captured on a trigger that named the part. */
    partId: Type.Optional(PartId),
    ts: Timestamp,
    score: Score,
    threshold: Score,
    /** score ÷ threshold: 1.0 is the line's threshold whatever the model's raw units. */
    normalized: Type.Number({ minimum: 0, maximum: 1e12 }),
    verdict: Literals(VERDICTS, 'ok / anomalous / uncertain (normalized score within the uncertainty band)'),
    modelVersion: ModelVersion,
    /** Frame in → verdict out, in milliseconds. */
    latencyMs: Type.Number({ minimum: 0, maximum: 3_600_000 }),
  },
  { $id: 'linewatch/v1/verdict', description: 'Per-part verdict for line software' },
);
export type VerdictMessage = Static<typeof VerdictSchema>;

export const CaptureSchema = Type.Object(
  {
    camera: CameraId,
    partId: Type.Optional(PartId),
    /** Caller's correlation id, echoed nowhere but logs; lets line software trace a request. */
    requestId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    ts: Timestamp,
  },
  { $id: 'linewatch/v1/capture', description: 'Ask a trigger camera for one frame' },
);
export type CaptureMessage = Static<typeof CaptureSchema>;
