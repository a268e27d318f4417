/**
 * User administration by admins: list, role and line scope, password reset. A reset password is one-time (the user
 * must change it at the next sign-in) and ends the user's sessions. An admin cannot demote themself, so the controller
 * never loses its last way in through a slip of the mouse.
 */
import { ListUsersRoute, ResetPasswordRoute, UpdateUserRoute } from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { TypedApp } from '../http/typed-app.js';
import { requireAuth } from './guard.js';
import { hashPassword } from './password.js';
import { userView } from './routes.js';

export function registerUserAdminRoutes(app: TypedApp, ctx: Ctx): void {
  app.route({
    ...ListUsersRoute,
    config: { access: 'admin' },
    handler: async () => ({ users: (await ctx.store.users.list()).map(userView) }),
  });
  app.route({
    ...UpdateUserRoute,
    config: { access: 'admin' },
    handler: async (req) => {
      const { user } = requireAuth(req);
      if (req.params.id === user.id && req.body.role === 'qa')
        throw ctrlError('LW_CTRL_CONFLICT', 'an admin cannot take their own admin role');
      const updated = await ctx.store.users.update(req.params.id, req.body);
      if (!updated) throw ctrlError('LW_CTRL_NOT_FOUND', 'user not found');
      req.log.info({ userId: updated.id, role: updated.role, lines: updated.lines, by: user.username }, 'user updated');
      return userView(updated);
    },
  });
  app.route({
    ...ResetPasswordRoute,
    config: { access: 'admin' },
    handler: async (req) => {
      const { user } = requireAuth(req);
      const target = await ctx.store.users.find(req.params.id);
      if (!target) throw ctrlError('LW_CTRL_NOT_FOUND', 'user not found');
      await ctx.store.users.updatePassword(target.id, await hashPassword(req.body.password), true);
      await ctx.store.sessions.deleteForUser(target.id);
      req.log.warn({ userId: target.id, by: user.username }, 'password reset (one-time)');
      return userView({ ...target, mustChangePassword: true });
    },
  });
}
