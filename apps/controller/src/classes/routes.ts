/**
 * Defect classes: admins edit each line's taxonomy; every signed-in user reads the classes of the lines they see
 * (the review page's class picker, the queue's class filter). A class that a confirmation names or a saved mask
 * paints is not deleted: its palette index would then mean nothing in those masks.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateClassRoute,
  DeleteClassRoute,
  ListClassesRoute,
  UpdateClassRoute,
  type DefectClassView,
} from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { TypedApp } from '../http/typed-app.js';
import { canSeeLine, requireAuth, visibleLines } from '../auth/guard.js';
import type { DefectClassRow } from '../store/classes-store.js';

/**
 * The review page tells strokes apart by colour: greys (black background, white unclassified mask) and pure red
 * (a stroke without a class) are taken, and a class colour needs one bright channel (> 127) to be read back.
 */
function colorProblem(hex: string): string | null {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  if (r === g && g === b) return 'greys are the background and unclassified colours';
  if (hex === '#ff0000') return 'pure red is the unclassified stroke colour';
  if (Math.max(r, g, b) <= 127) return 'too dark: one channel must be above 127';
  return null;
}

export function classView(c: DefectClassRow): DefectClassView {
  return { ...c, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString() };
}

function checkColor(color: string): string {
  const c = color.toLowerCase();
  const problem = colorProblem(c);
  if (problem) throw ctrlError('LW_CTRL_VALIDATION', `colour ${c} cannot be a class colour: ${problem}`);
  return c;
}

export function registerClassRoutes(app: TypedApp, ctx: Ctx): void {
  app.route({
    ...ListClassesRoute,
    handler: async (req) => {
      const { user } = requireAuth(req);
      const { line } = req.query;
      if (line !== undefined && !canSeeLine(user, line)) return { classes: [] };
      const rows =
        line === undefined
          ? await ctx.store.classes.listForLines(visibleLines(user))
          : await ctx.store.classes.list(line);
      return { classes: rows.map(classView) };
    },
  });
  app.route({
    ...CreateClassRoute,
    config: { access: 'admin' },
    handler: async (req) => {
      const { user } = requireAuth(req);
      const { line, name, key } = req.body;
      const now = ctx.clock.now();
      const created = await ctx.store.classes.create({
        id: randomUUID(),
        line,
        name,
        color: checkColor(req.body.color),
        key: key ?? null,
        createdAt: now,
      });
      if (created === 'full') throw ctrlError('LW_CTRL_CLASS_LIMIT');
      if (created === 'taken') throw ctrlError('LW_CTRL_CLASS_TAKEN');
      req.log.info({ classId: created.id, line, name, by: user.username }, 'defect class created');
      return classView(created);
    },
  });
  app.route({
    ...UpdateClassRoute,
    config: { access: 'admin' },
    handler: async (req) => {
      const { user } = requireAuth(req);
      const { name, color, key } = req.body;
      const updated = await ctx.store.classes.update(req.params.id, {
        ...(name !== undefined && { name }),
        ...(color !== undefined && { color: checkColor(color) }),
        ...(key !== undefined && { key }),
        updatedAt: ctx.clock.now(),
      });
      if (updated === null) throw ctrlError('LW_CTRL_NOT_FOUND', 'class not found');
      if (updated === 'taken') throw ctrlError('LW_CTRL_CLASS_TAKEN');
      req.log.info({ classId: updated.id, by: user.username }, 'defect class updated');
      return classView(updated);
    },
  });
  app.route({
    ...DeleteClassRoute,
    config: { access: 'admin' },
    handler: async (req, reply) => {
      const { user } = requireAuth(req);
      const { id } = req.params;
      const usage = await ctx.store.classes.usage(id);
      if (usage.confirmations > 0 || usage.masks > 0)
        throw ctrlError(
          'LW_CTRL_CLASS_IN_USE',
          `${usage.confirmations} confirmation(s) name the class and ${usage.masks} mask(s) paint it`,
        );
      if (!(await ctx.store.classes.delete(id))) throw ctrlError('LW_CTRL_NOT_FOUND', 'class not found');
      req.log.info({ classId: id, by: user.username }, 'defect class deleted');
      return reply.code(204).send(null);
    },
  });
}
