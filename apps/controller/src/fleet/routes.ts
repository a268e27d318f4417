/** Fleet view (scoped to visible lines) and the Prometheus scrape endpoint. */
import { FleetRoute } from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import type { TypedApp } from '../http/typed-app.js';
import type { Metrics } from '../metrics.js';
import { requireAuth, visibleLines } from '../auth/guard.js';
import { conditionOf, executionProviderOf } from './condition.js';
import { refreshDeviceMetrics } from './device-metrics.js';

export function registerFleetRoutes(app: TypedApp, ctx: Ctx, metrics: Metrics): void {
  app.route({
    ...FleetRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const rows = await ctx.store.fleet.list(visibleLines(user));
      return {
        devices: rows.map((f) => ({
          deviceId: f.deviceId,
          name: f.name,
          line: f.line,
          online: f.online,
          lastSeen: f.lastSeen.toISOString(),
          agentVersion: f.agentVersion,
          modelVersion: f.modelVersion,
          ...conditionOf(f),
          executionProvider: executionProviderOf(f.health),
          status: f.status,
          health: f.health,
        })),
      };
    },
  });

  // Outside /api: scraped by Prometheus without a session. Bind the HTTP port to loopback or firewall it.
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    await refreshDeviceMetrics(metrics, ctx.store);
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequests.inc({
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
    });
  });
}
