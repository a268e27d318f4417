/**
 * Model rollout, desired-state style: the controller publishes (retained) which model a device should run; the agent
 * converges and reports each step. Packages travel over HTTP(S); only their coordinates travel over MQTT.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Base64, DeviceId, Literals, ModelVersion, RolloutId, Sha256Hex, Timestamp } from './common.js';

export const SIGNATURE_SCHEMES = ['ed25519'] as const;

export const DesiredModelSchema = Type.Object(
  {
    device: DeviceId,
    rolloutId: RolloutId,
    version: ModelVersion,
    packageUrl: Type.String({ pattern: '^https?://[^\\s]+$', minLength: 8, maxLength: 2048 }),
    /** Hash of the package archive as downloaded; checked before anything is unpacked. */
    sha256: Sha256Hex,
    signatureScheme: Literals(SIGNATURE_SCHEMES),
    /** Signature over the package's manifest bytes, base64. */
    signature: Base64(1024),
    /**
     * Explicit, so an agent can take the fast path (cached package, no shadow) and so a rollback is never mistaken
     * for an upgrade by version comparison.
     */
    rollback: Type.Boolean(),
    /** Run the candidate beside the live model first; scores go out as `shadowScore` on score messages. */
    shadow: Type.Optional(
      Type.Object({
        durationS: Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 }),
        minFrames: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
      }),
    ),
    issuedAt: Timestamp,
  },
  { $id: 'linewatch/v1/desired-model', description: 'Desired model command (retained)' },
);
export type DesiredModelMessage = Static<typeof DesiredModelSchema>;

export const MODEL_UPDATE_STATES = [
  'downloading',
  'verifying',
  'loading',
  'self-testing',
  'shadow',
  'swapping',
  'live',
  'failed',
] as const;
export type ModelUpdateState = (typeof MODEL_UPDATE_STATES)[number];

/** Coded, so the controller's rollout gate can decide (retry vs abort) without parsing text. */
export const MODEL_UPDATE_REASONS = [
  'DOWNLOAD_FAILED',
  'HASH_MISMATCH',
  'SIGNATURE_INVALID',
  'MANIFEST_INVALID',
  'INCOMPATIBLE',
  'DISK_FULL',
  'LOAD_FAILED',
  'SELF_TEST_FAILED',
  'SHADOW_REJECTED',
  'SWAP_FAILED',
  'TIMEOUT',
  'SUPERSEDED',
] as const;
export type ModelUpdateReason = (typeof MODEL_UPDATE_REASONS)[number];

export const ModelReportSchema = Type.Object(
  {
    device: DeviceId,
    rolloutId: RolloutId,
    version: ModelVersion,
    state: Literals(MODEL_UPDATE_STATES),
    /** Present if and only if `state` is `failed`. */
    reason: Type.Optional(
      Type.Object({
        code: Literals(MODEL_UPDATE_REASONS),
        message: Type.Optional(Type.String({ maxLength: 1024 })),
      }),
    ),
    /** 0..1 within the current state (download bytes, shadow frames); absent when not meaningful. */
    progress: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** What keeps running if this update fails. */
    liveVersion: Type.Union([ModelVersion, Type.Null()]),
    ts: Timestamp,
  },
  { $id: 'linewatch/v1/model-report', description: 'Model update progress report' },
);
export type ModelReportMessage = Static<typeof ModelReportSchema>;
