/**
 * Device lifecycle, modelled on Sparkplug B: birth on connect, death as the MQTT will, both carrying the same bdSeq.
 * A death whose bdSeq differs from the last birth's is stale (an old session's will fired late) and must be ignored.
 * Status is retained so a controller that (re)starts learns every device's last self-reported state at once.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { BdSeq, CameraId, DeviceId, ExecutionProvider, Literals, ModelVersion, Timestamp } from './common.js';

export const MAX_CAMERAS = 64;
const AgentVersion = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$', maxLength: 64 });

export const BirthSchema = Type.Object(
  {
    device: DeviceId,
    bdSeq: BdSeq,
    ts: Timestamp,
    agentVersion: AgentVersion,
    /** Null before the first model was ever installed. */
    modelVersion: Type.Union([ModelVersion, Type.Null()]),
    executionProvider: ExecutionProvider,
    /**
     * The protocol version the agent speaks (wire.ts PROTOCOL_VERSION). Absent: a protocol-1 agent, which reads and
     * writes only envelopes; the controller answers it in that form.
     */
    protocolVersion: Type.Optional(Type.Integer({ minimum: 1, maximum: 255 })),
    cameras: Type.Array(
      Type.Object({
        camera: CameraId,
        width: Type.Integer({ minimum: 1, maximum: 16_384 }),
        height: Type.Integer({ minimum: 1, maximum: 16_384 }),
        fps: Type.Number({ minimum: 0, maximum: 1000 }),
      }),
      { maxItems: MAX_CAMERAS },
    ),
  },
  { $id: 'linewatch/v1/birth', description: 'Device birth certificate (published after connect)' },
);
export type BirthMessage = Static<typeof BirthSchema>;

export const DeathSchema = Type.Object(
  {
    device: DeviceId,
    bdSeq: BdSeq,
    /** When the will was registered (connect time): the broker sends it later, unchanged. */
    ts: Timestamp,
  },
  { $id: 'linewatch/v1/death', description: 'Device death certificate (MQTT will)' },
);
export type DeathMessage = Static<typeof DeathSchema>;

export const DEVICE_STATES = ['starting', 'running', 'degraded', 'updating', 'stopping'] as const;
export const StatusSchema = Type.Object(
  {
    device: DeviceId,
    bdSeq: BdSeq,
    ts: Timestamp,
    state: Literals(DEVICE_STATES),
    modelVersion: Type.Union([ModelVersion, Type.Null()]),
    cameras: Type.Array(CameraId, { maxItems: MAX_CAMERAS }),
    /** Human-readable reason for `degraded`, e.g. "camera cam-2 not delivering frames". */
    note: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { $id: 'linewatch/v1/status', description: 'Retained device status' },
);
export type StatusMessage = Static<typeof StatusSchema>;
