/**
 * Device gauges, rebuilt from the fleet store at each scrape: no stale series for removed devices, and every replica
 * reports the same values (they all read the one database). Health fields are read defensively: rows stored by an
 * older controller may lack some of them, and a missing field is a missing series, never a made-up 0.
 */
import type { Metrics } from '../metrics.js';
import { resetFleetGauges } from '../metrics/fleet-gauges.js';
import type { Store } from '../store/store.js';
import type { FleetRow } from '../store/types.js';
import { conditionOf, executionProviderOf } from './condition.js';

type Row = FleetRow & { line: string };
type Labels = { device: string; line: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export async function refreshDeviceMetrics(metrics: Metrics, store: Store): Promise<void> {
  const rows = await store.fleet.list(undefined);
  // Everything below is synchronous: a concurrent scrape never sees a half-rebuilt set.
  resetFleetGauges(metrics.fleet);
  metrics.deviceDegraded.reset();
  metrics.deviceProblems.reset();
  for (const row of rows) {
    const labels = { device: row.deviceId, line: row.line };
    setPresence(metrics, row, labels);
    const { condition, problems } = conditionOf(row);
    // Offline devices keep only presence (up 0, last seen, info): their last health and problems are not current.
    if (condition === 'offline') continue;
    metrics.deviceDegraded.set(labels, condition === 'degraded' ? 1 : 0);
    for (const code of new Set(problems.map((p) => p.code))) metrics.deviceProblems.set({ ...labels, code }, 1);
    setHealth(metrics, row.health, labels);
  }
}

function setPresence(metrics: Metrics, row: Row, labels: Labels): void {
  const g = metrics.fleet;
  g.deviceUp.set(labels, row.online ? 1 : 0);
  g.deviceLastSeen.set(labels, row.lastSeen.getTime() / 1000);
  g.deviceInfo.set(
    {
      ...labels,
      provider: executionProviderOf(row.health) ?? 'unknown',
      model_version: row.modelVersion ?? 'none',
      agent_version: row.agentVersion ?? 'unknown',
    },
    1,
  );
}

function setHealth(metrics: Metrics, health: unknown, labels: Labels): void {
  if (!isRecord(health)) return;
  const g = metrics.fleet;
  if (Array.isArray(health.cameras)) {
    for (const c of health.cameras) {
      if (!isRecord(c) || typeof c.camera !== 'string') continue;
      const cam = { ...labels, camera: c.camera };
      const fps = num(c.fps);
      const dropped = num(c.framesDropped);
      if (fps !== null) g.deviceFps.set(cam, fps);
      if (dropped !== null) g.deviceFramesDropped.set(cam, dropped);
    }
  }
  if (isRecord(health.latencyMs)) {
    const p50 = num(health.latencyMs.p50);
    const p99 = num(health.latencyMs.p99);
    if (p50 !== null) g.deviceLatency.set({ ...labels, quantile: '0.5' }, p50);
    if (p99 !== null) g.deviceLatency.set({ ...labels, quantile: '0.99' }, p99);
  }
  if (isRecord(health.outbox)) {
    const depth = num(health.outbox.depth);
    const bytes = num(health.outbox.bytes);
    if (depth !== null) g.deviceOutboxDepth.set(labels, depth);
    if (bytes !== null) g.deviceOutboxBytes.set(labels, bytes);
  }
}
