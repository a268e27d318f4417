/**
 * Prometheus metrics: one registry per app instance (tests build many apps; the global registry would clash).
 * Event-driven series (ingest, HTTP, blob errors) are updated where things happen; device gauges are rebuilt from the
 * fleet store at each scrape (fleet/device-metrics.ts) and database aggregates at most every metrics.cacheMs
 * (metrics/db-aggregates.ts). Every metric, its labels and its cardinality bound: docs/metrics.md.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createDbGauges, type DbGauges } from './metrics/db-gauges.js';
import { createFleetGauges, type FleetGauges } from './metrics/fleet-gauges.js';

export interface Metrics {
  registry: Registry;
  ingestMessages: Counter<'kind' | 'result'>;
  ingestLag: Histogram<'kind'>;
  ingestQueueDepth: Gauge;
  scoreBufferKeys: Gauge;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  deviceDegraded: Gauge<'device' | 'line'>;
  deviceProblems: Gauge<'device' | 'line' | 'code'>;
  /** Event acks waiting in a batch or being published; ingest sets the probe (metrics exist before ingest). */
  probes: { acksPending: () => number };
  ingestAcksPending: Gauge;
  blobErrors: Counter<'op'>;
  refreshFailures: Counter;
  fleet: FleetGauges;
  db: DbGauges;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lw_controller_' });
  const probes = { acksPending: () => 0 };
  return {
    registry,
    ...ingestMetrics(registry, probes),
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
    probes,
    blobErrors: new Counter({
      name: 'lw_blob_errors_total',
      help: 'Blob store operations that failed (disk or S3 errors; a missing blob or a malformed reference is not one)',
      labelNames: ['op'],
      registers: [registry],
    }),
    refreshFailures: new Counter({
      name: 'lw_metrics_refresh_failures_total',
      help: 'Scrapes whose database reads failed (the database-derived series are absent from those scrapes)',
      registers: [registry],
    }),
    fleet: createFleetGauges(registry),
    db: createDbGauges(registry),
  };
}

function ingestMetrics(registry: Registry, probes: Metrics['probes']) {
  return {
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
    ingestAcksPending: new Gauge({
      name: 'lw_ingest_acks_pending',
      help: 'Event ids committed but not yet acked to their device (waiting in a batch or being published)',
      registers: [registry],
      collect() {
        this.set(probes.acksPending());
      },
    }),
  };
}
