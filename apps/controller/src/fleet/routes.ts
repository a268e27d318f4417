/** Fleet view (scoped to visible lines) and the HTTP request counter; /metrics itself is metrics/serve.ts. */
import { FleetRoute } from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import type { TypedApp } from '../http/typed-app.js';
import type { Metrics } from '../metrics.js';
import { requireAuth, visibleLines } from '../auth/guard.js';
import { conditionOf, executionProviderOf } from './condition.js';

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

  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequests.inc({
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
    });
  });
}
