/**
 * Per-device gauges, set from the fleet store's last status/health of each device at every scrape (see
 * fleet/device-metrics.ts): every replica reports the same values, and a removed device leaves no stale series.
 * Cardinality: devices (up, info, latency, outbox) and devices × cameras (fps, frames dropped; ≤ 64 cameras a device
 * by the protocol schema).
 */
import { Gauge, type Registry } from 'prom-client';

type DeviceLabel = 'device' | 'line';

export interface FleetGauges {
  deviceUp: Gauge<DeviceLabel>;
  deviceLastSeen: Gauge<DeviceLabel>;
  deviceInfo: Gauge<DeviceLabel | 'provider' | 'model_version' | 'agent_version'>;
  deviceFps: Gauge<DeviceLabel | 'camera'>;
  deviceFramesDropped: Gauge<DeviceLabel | 'camera'>;
  deviceLatency: Gauge<DeviceLabel | 'quantile'>;
  deviceOutboxDepth: Gauge<DeviceLabel>;
  deviceOutboxBytes: Gauge<DeviceLabel>;
}

export function createFleetGauges(registry: Registry): FleetGauges {
  const registers = [registry];
  return {
    deviceUp: new Gauge({
      name: 'lw_device_up',
      help: 'Devices with a fleet row: 1 while its MQTT session is up (birth seen, no death), 0 when offline',
      labelNames: ['device', 'line'],
      registers,
    }),
    deviceLastSeen: new Gauge({
      name: 'lw_device_last_seen_timestamp_seconds',
      help: 'When the controller last heard from the device (any message), Unix time',
      labelNames: ['device', 'line'],
      registers,
    }),
    deviceInfo: new Gauge({
      name: 'lw_device_info',
      help: 'Always 1: the execution provider, model version and agent version a device last reported',
      labelNames: ['device', 'line', 'provider', 'model_version', 'agent_version'],
      registers,
    }),
    deviceFps: new Gauge({
      name: 'lw_device_fps',
      help: 'Frames per second a camera of an online device scored over its last health window',
      labelNames: ['device', 'line', 'camera'],
      registers,
    }),
    deviceFramesDropped: new Gauge({
      name: 'lw_device_frames_dropped',
      help: 'Frames a camera dropped since the agent started (cumulative; resets with the agent: use rate/increase)',
      labelNames: ['device', 'line', 'camera'],
      registers,
    }),
    deviceLatency: new Gauge({
      name: 'lw_device_latency_ms',
      help: 'Inference latency of an online device over its last health window, by quantile (0.5, 0.99)',
      labelNames: ['device', 'line', 'quantile'],
      registers,
    }),
    deviceOutboxDepth: new Gauge({
      name: 'lw_device_outbox_depth',
      help: 'Events an online device holds on disk, not yet acked by the controller',
      labelNames: ['device', 'line'],
      registers,
    }),
    deviceOutboxBytes: new Gauge({
      name: 'lw_device_outbox_bytes',
      help: 'Bytes of the events an online device holds on disk, not yet acked',
      labelNames: ['device', 'line'],
      registers,
    }),
  };
}

/** Clears every per-device series before a rebuild. */
export function resetFleetGauges(g: FleetGauges): void {
  for (const gauge of Object.values(g)) gauge.reset();
}
