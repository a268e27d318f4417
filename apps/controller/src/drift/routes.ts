/**
 * Drift alerts on the API (`GET /api/drift/alerts`, lines the user sees) and in /metrics: `lw_camera_drift_psi`
 * (PSI against the calibration baseline, per calibrated camera) and `lw_camera_alert` (1 per active alert, by kind),
 * evaluated at scrape time from the stored windows. Labels are bounded by devices × cameras × 4 kinds.
 */
import { ListDriftAlertsRoute } from '@linewatch/protocol/http';
import { Gauge } from 'prom-client';
import { canSeeLine, requireAuth } from '../auth/guard.js';
import type { Ctx } from '../context.js';
import type { TypedApp } from '../http/typed-app.js';
import type { Metrics } from '../metrics.js';
import { DriftMonitor } from './monitor.js';

/** One evaluation serves both gauges of a scrape (and scrapes closer together than this). */
const SCRAPE_REUSE_MS = 2000;

export function registerDrift(app: TypedApp, ctx: Ctx, metrics: Metrics): DriftMonitor {
  const monitor = new DriftMonitor(ctx);
  let last: { at: number; run: ReturnType<DriftMonitor['evaluate']> } | null = null;
  const evaluation = () => {
    const now = Date.now();
    if (!last || now - last.at > SCRAPE_REUSE_MS) last = { at: now, run: monitor.evaluate() };
    return last.run;
  };
  new Gauge({
    name: 'lw_camera_drift_psi',
    help: "Population stability index of a camera's live scores against its calibration baseline",
    labelNames: ['device', 'camera'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const c of (await evaluation()).cameras)
        if (c.psi !== null) this.set({ device: c.deviceId, camera: c.camera }, c.psi);
    },
  });
  new Gauge({
    name: 'lw_camera_alert',
    help: 'Active camera alerts (1): score drift, frozen, black or saturated frames',
    labelNames: ['device', 'camera', 'kind'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const a of (await evaluation()).alerts) this.set({ device: a.deviceId, camera: a.camera, kind: a.kind }, 1);
    },
  });
  app.route({
    ...ListDriftAlertsRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const r = await monitor.evaluate(req.query.minutes);
      return {
        alerts: r.alerts
          .filter((a) => canSeeLine(user, a.line))
          .map((a) => ({ ...a, startedAt: a.startedAt.toISOString() })),
        cameras: r.cameras.filter((c) => canSeeLine(user, c.line)),
      };
    },
  });
  return monitor;
}
