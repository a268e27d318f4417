/**
 * One scrape: rebuild the device gauges from the fleet store (every scrape: two indexed reads), refresh the database
 * aggregates (cached, db-aggregates.ts), then render the registry. A database failure never fails the scrape: the
 * series it feeds are dropped from that scrape and lw_metrics_refresh_failures_total counts it, so Prometheus still
 * sees the process, ingest and HTTP series and the failure itself.
 */
import type { Ctx } from '../context.js';
import { refreshDeviceMetrics } from '../fleet/device-metrics.js';
import type { Metrics } from '../metrics.js';
import { DbRefresher } from './db-aggregates.js';
import { resetFleetGauges } from './fleet-gauges.js';

export interface Scraper {
  contentType: string;
  scrape(): Promise<string>;
}

export function createScraper(ctx: Ctx, metrics: Metrics): Scraper {
  const onFailure = (): void => metrics.refreshFailures.inc();
  const db = new DbRefresher({
    store: ctx.store,
    clock: ctx.clock,
    log: ctx.log,
    gauges: metrics.db,
    onFailure,
    cacheMs: ctx.config.metrics.cacheMs,
  });
  const devices = async (): Promise<void> => {
    try {
      await refreshDeviceMetrics(metrics, ctx.store);
    } catch (err) {
      resetFleetGauges(metrics.fleet);
      metrics.deviceDegraded.reset();
      metrics.deviceProblems.reset();
      onFailure();
      ctx.log.warn({ err, code: 'LW_CTRL_DB_UNAVAILABLE' }, 'metrics: fleet not read');
    }
  };
  return {
    contentType: metrics.registry.contentType,
    scrape: async () => {
      await Promise.all([devices(), db.refresh()]);
      return metrics.registry.metrics();
    },
  };
}
