/** Label statistics per visible line, for the queue page's progress table, broken down by defect class. */
import { LabelStatsRoute, type LineLabelStats } from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import type { TypedApp } from '../http/typed-app.js';
import { requireAuth, visibleLines } from '../auth/guard.js';
import { classStatsByLine } from '../classes/stats.js';

export function registerStatsRoutes(app: TypedApp, ctx: Ctx): void {
  app.route({
    ...LabelStatsRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const lines = visibleLines(user);
      const byClass = await classStatsByLine(ctx.store, lines);
      const byLine = new Map<string, LineLabelStats>();
      for (const r of await ctx.store.events.labelStats(lines)) {
        const s = byLine.get(r.line) ?? {
          line: r.line,
          pending: 0,
          confirmed: 0,
          rejected: 0,
          ...(byClass.get(r.line) ?? { unclassified: 0, classes: [] }),
        };
        s[r.status] += r.count;
        byLine.set(r.line, s);
      }
      return { lines: [...byLine.values()] };
    },
  });
}
