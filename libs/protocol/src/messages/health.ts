/** Periodic health telemetry: what an operator needs to tell a slow device from a broken camera from a full disk. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { CameraId, Counter, DeviceId, ExecutionProvider, ModelVersion, Timestamp } from './common.js';
import { MAX_CAMERAS } from './lifecycle.js';

const Ms = Type.Number({ minimum: 0, maximum: 3_600_000 });

export const HealthSchema = Type.Object(
  {
    device: DeviceId,
    ts: Timestamp,
    uptimeS: Type.Number({ minimum: 0, maximum: 1e10 }),
    modelVersion: Type.Union([ModelVersion, Type.Null()]),
    executionProvider: ExecutionProvider,
    cameras: Type.Array(
      Type.Object({
        camera: CameraId,
        fps: Type.Number({ minimum: 0, maximum: 1000 }),
        /** Cumulative since start: monotonic counters survive lost QoS 0 messages, rates do not. */
        framesDropped: Counter,
      }),
      { maxItems: MAX_CAMERAS },
    ),
    /** Inference latency over the reporting window. */
    latencyMs: Type.Object({ p50: Ms, p99: Ms }),
    /** Events on disk not yet acked: a growing outbox means the controller or the link is behind. */
    outbox: Type.Object({ depth: Counter, bytes: Counter }),
    /**
     * Active problems (what makes the status `degraded`), keyed by the part that reports them, with their coded reason:
     * e.g. `{ key: 'provider', code: 'LW_AGENT_PROVIDER_FALLBACK', message: 'cuda unavailable (…); running on cpu' }`.
     */
    problems: Type.Optional(
      Type.Array(
        Type.Object({
          key: Type.String({ minLength: 1, maxLength: 64 }),
          code: Type.String({ pattern: '^LW_[A-Z0-9_]+$', maxLength: 64 }),
          message: Type.String({ maxLength: 512 }),
        }),
        { maxItems: 32 },
      ),
    ),
  },
  { $id: 'linewatch/v1/health', description: 'Health telemetry' },
);
export type HealthMessage = Static<typeof HealthSchema>;
