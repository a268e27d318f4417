/** Builds the periodic health message from the pipeline's windows (rates and latency reset per report). */
import type { HealthMessage } from '@linewatch/protocol';
import type { Outbox } from './outbox.js';
import type { Pipeline } from './pipeline.js';
import type { Problem } from './status.js';

export function healthMessage(
  device: string,
  ts: number,
  startedPerf: number,
  pipeline: Pipeline,
  outbox: Outbox,
  problems: ReadonlyMap<string, Problem> = new Map(),
): HealthMessage {
  const lat = pipeline.latency.percentiles();
  pipeline.latency.reset();
  return {
    device,
    ts,
    uptimeS: (performance.now() - startedPerf) / 1000,
    modelVersion: pipeline.model.version,
    executionProvider: pipeline.model.provider,
    cameras: [...pipeline.cameras.values()].map((c) => ({
      camera: c.camera,
      fps: Math.min(1000, c.rate.rate()),
      framesDropped: c.slot.dropped + c.invalid,
    })),
    latencyMs: { p50: Math.min(3_600_000, lat.p50), p99: Math.min(3_600_000, lat.p99) },
    outbox: { depth: outbox.stats.depth, bytes: outbox.stats.bytes },
    ...(problems.size > 0
      ? {
          problems: [...problems]
            .slice(0, 32)
            .map(([key, p]) => ({ key: key.slice(0, 64), code: p.code, message: p.message.slice(0, 512) })),
        }
      : {}),
  };
}
