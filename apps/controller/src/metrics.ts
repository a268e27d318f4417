/** Prometheus metrics: one registry per app instance (tests build many apps; the global registry would clash). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  ingestMessages: Counter<'kind' | 'result'>;
  ingestLag: Histogram<'kind'>;
  ingestQueueDepth: Gauge;
  scoreBufferKeys: Gauge;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  deviceDegraded: Gauge<'device' | 'line'>;
  deviceProblems: Gauge<'device' | 'line' | 'code'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lw_controller_' });
  return {
    registry,
    ingestMessages: new Counter({
      name: 'lw_ingest_messages_total',
      help: 'MQTT messages ingested, by kind and result (ok, duplicate, invalid, unknown_device, store_failed, dropped)',
      labelNames: ['kind', 'result'],
      registers: [registry],
    }),
    ingestLag: new Histogram({
      name: 'lw_ingest_lag_seconds',
      help: 'Time from the message timestamp (device clock) to processing',
      labelNames: ['kind'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
      registers: [registry],
    }),
    ingestQueueDepth: new Gauge({
      name: 'lw_ingest_queue_depth',
      help: 'Messages waiting in the ingest queue',
      registers: [registry],
    }),
    scoreBufferKeys: new Gauge({
      name: 'lw_score_buffer_keys',
      help: 'Device/camera/minute score aggregates held in memory awaiting flush',
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'lw_http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    // Set from the fleet store at each scrape (src/fleet/device-metrics.ts). Codes are filtered to LW_* catalogue
    // codes, so the label set stays bounded by devices × catalogue.
    deviceDegraded: new Gauge({
      name: 'lw_device_degraded',
      help: 'Online devices: 1 while degraded (agent state or active problems), 0 when ok',
      labelNames: ['device', 'line'],
      registers: [registry],
    }),
    deviceProblems: new Gauge({
      name: 'lw_device_problems',
      help: 'Active problems of online devices by coded reason (1 while reported)',
      labelNames: ['device', 'line', 'code'],
      registers: [registry],
    }),
  };
}
