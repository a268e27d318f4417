/**
 * Registry: kind → schema, JSON-header schema, binary part layout and cross-field rules. The codec is generic over
 * this table; adding a kind means adding one entry here and one in kinds.ts (the type below enforces both).
 */
import type { Static, TObject } from '@sinclair/typebox';
import type { MessageKind } from '../kinds.js';
import type { ImageMedia } from './common.js';
import { AckSchema, EventHeaderSchema, EventSchema } from './event.js';
import { HealthSchema } from './health.js';
import { BirthSchema, DeathSchema, StatusSchema } from './lifecycle.js';
import { DesiredModelSchema, ModelReportSchema } from './model.js';
import { ScoreSchema } from './score.js';
import { ScoreSketchSchema } from './sketch.js';
import { MAX_BUCKET } from '../sketch.js';
import { ThresholdSchema } from './threshold.js';
import { CaptureSchema, VerdictSchema } from './verdict.js';

export const MESSAGE_SCHEMAS = {
  score: ScoreSchema,
  event: EventSchema,
  ack: AckSchema,
  birth: BirthSchema,
  death: DeathSchema,
  status: StatusSchema,
  health: HealthSchema,
  desiredModel: DesiredModelSchema,
  modelReport: ModelReportSchema,
  threshold: ThresholdSchema,
  verdict: VerdictSchema,
  capture: CaptureSchema,
  scoreSketch: ScoreSketchSchema,
} as const satisfies Record<MessageKind, TObject>;

export type MessageOf<K extends MessageKind> = Static<(typeof MESSAGE_SCHEMAS)[K]>;
/** Discriminated union of every message, handy for dispatch tables. */
export type AnyMessage = { [K in MessageKind]: { kind: K; message: MessageOf<K> } }[MessageKind];

/** A binary field lifted out of the JSON header into an envelope part. Optional parts may only trail. */
export interface PartSpec {
  readonly field: string;
  readonly encoding: 'bytes' | 'f32le';
  readonly optional: boolean;
  readonly media?: ImageMedia;
}

export interface MessageDef {
  readonly schema: TObject;
  /** Schema of the JSON header: the message minus its binary fields. */
  readonly header: TObject;
  readonly parts: readonly PartSpec[];
  /** Rules TypeBox cannot express; returns a reason when violated. */
  readonly refine?: (message: never) => string | undefined;
}

const def = <K extends MessageKind>(
  kind: K,
  extra: { header?: TObject; parts?: readonly PartSpec[]; refine?: (m: MessageOf<K>) => string | undefined } = {},
): MessageDef => ({
  schema: MESSAGE_SCHEMAS[kind],
  header: extra.header ?? MESSAGE_SCHEMAS[kind],
  parts: extra.parts ?? [],
  ...(extra.refine ? { refine: extra.refine as (m: never) => string | undefined } : {}),
});

export const MESSAGE_DEFS: Readonly<Record<MessageKind, MessageDef>> = {
  score: def('score'),
  event: def('event', {
    header: EventHeaderSchema,
    parts: [
      { field: 'jpeg', encoding: 'bytes', optional: false, media: 'image/jpeg' },
      { field: 'anomalyMap', encoding: 'bytes', optional: false, media: 'image/png' },
      { field: 'features', encoding: 'f32le', optional: true },
    ],
  }),
  ack: def('ack', {
    refine: (m) => (new Set(m.eventIds).size !== m.eventIds.length ? 'eventIds must be unique' : undefined),
  }),
  birth: def('birth', {
    refine: (m) => uniqueCameras(m.cameras.map((c) => c.camera)),
  }),
  death: def('death'),
  status: def('status', { refine: (m) => uniqueCameras(m.cameras) }),
  health: def('health', {
    refine: (m) =>
      m.latencyMs.p50 > m.latencyMs.p99
        ? 'latencyMs.p50 must not exceed latencyMs.p99'
        : uniqueCameras(m.cameras.map((c) => c.camera)),
  }),
  desiredModel: def('desiredModel', {
    // A rollback returns to a version already proven live; shadowing it again would only delay recovery.
    refine: (m) => (m.rollback && m.shadow !== undefined ? 'a rollback must not request shadow mode' : undefined),
  }),
  modelReport: def('modelReport', {
    refine: (m) =>
      (m.state === 'failed') !== (m.reason !== undefined)
        ? 'reason is required when, and only when, state is "failed"'
        : undefined,
  }),
  threshold: def('threshold'),
  verdict: def('verdict'),
  capture: def('capture'),
  scoreSketch: def('scoreSketch', {
    refine: (m) =>
      m.sketch.offset + m.sketch.counts.length - 1 > MAX_BUCKET ? 'sketch.counts run past the last bucket' : undefined,
  }),
};

function uniqueCameras(ids: readonly string[]): string | undefined {
  return new Set(ids).size === ids.length ? undefined : 'camera ids must be unique';
}
