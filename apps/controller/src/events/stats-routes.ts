/** Label statistics per visible line, for the queue page's progress table. */
import { LabelStatsRoute, type LineLabelStats } from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import type { TypedApp } from '../http/typed-app.js';
import { requireAuth, visibleLines } from '../auth/guard.js';

export function registerStatsRoutes(app: TypedApp, ctx: Ctx): void {
  app.route({
    ...LabelStatsRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const byLine = new Map<string, LineLabelStats>();
      for (const r of await ctx.store.events.labelStats(visibleLines(user))) {
        const s = byLine.get(r.line) ?? { line: r.line, pending: 0, confirmed: 0, rejected: 0 };
        s[r.status] += r.count;
        byLine.set(r.line, s);
      }
      return { lines: [...byLine.values()] };
    },
  });
}
