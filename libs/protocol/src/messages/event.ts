/**
 * Flagged anomaly event and its acknowledgement. Events are the only messages with binary parts: the JPEG frame,
 * the anomaly map (8-bit greyscale PNG) and optional compact float32 features travel as raw envelope parts, never
 * base64 inside JSON. The controller stores once per (device, seq) and acks by event id.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { CameraId, Counter, DeviceId, EventId, Float32, Jpeg, ModelVersion, Png, Score, Timestamp } from './common.js';

export const MAX_JPEG_BYTES = 6 * 1024 * 1024;
export const MAX_MAP_PNG_BYTES = 2 * 1024 * 1024;
export const MAX_FEATURES = 16_384;

export const EventHeaderSchema = Type.Object({
  eventId: EventId,
  device: DeviceId,
  camera: CameraId,
  /** Per-device, strictly increasing across restarts (persisted with the outbox); the dedupe key with `device`. */
  seq: Counter,
  ts: Timestamp,
  modelVersion: ModelVersion,
  score: Score,
  /** The threshold in force when the frame was flagged (config may change later; QA needs the historical value). */
  threshold: Score,
  /**
   * Present (true) on an UNflagged frame the agent sampled as normal training data (score ≤ threshold): it travels
   * through the same durable outbox and ack as a flagged event, but is not an anomaly and never enters the QA queue.
   */
  sampled: Type.Optional(Type.Literal(true)),
});

export const EventSchema = Type.Composite(
  [
    EventHeaderSchema,
    Type.Object({
      jpeg: Jpeg(MAX_JPEG_BYTES),
      anomalyMap: Png(MAX_MAP_PNG_BYTES),
      features: Type.Optional(Float32({ minLength: 1, maxLength: MAX_FEATURES })),
    }),
  ],
  { $id: 'linewatch/v1/event', description: 'Flagged anomaly event with frame and anomaly map' },
);
export type EventMessage = Static<typeof EventSchema>;

export const MAX_ACK_IDS = 1000;
export const AckSchema = Type.Object(
  {
    device: DeviceId,
    /** Ids committed to durable storage; the agent may delete them from its outbox. Batched to cut round trips. */
    eventIds: Type.Array(EventId, { minItems: 1, maxItems: MAX_ACK_IDS }),
    ts: Timestamp,
  },
  { $id: 'linewatch/v1/ack', description: 'Controller acknowledgement of committed events' },
);
export type AckMessage = Static<typeof AckSchema>;
