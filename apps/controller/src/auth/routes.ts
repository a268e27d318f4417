/**
 * Login (rate-limited), logout, current session, own password change, and user creation by admins (the rest of user
 * administration is in user-admin-routes.ts).
 */
import { randomUUID } from 'node:crypto';
import {
  ChangePasswordRoute,
  CreateUserRoute,
  LoginRoute,
  LogoutRoute,
  SessionRoute,
  type UserView,
} from '@linewatch/protocol/http';
import { servesTls } from '../config-rules.js';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { TypedApp } from '../http/typed-app.js';
import type { UserRow } from '../store/types.js';
import { SESSION_COOKIE, requireAuth } from './guard.js';
import { DUMMY_HASH, hashPassword, hashToken, newSecret, verifyPassword } from './password.js';

export const userView = (u: UserRow): UserView => ({
  id: u.id,
  username: u.username,
  role: u.role,
  lines: u.lines,
  mustChangePassword: u.mustChangePassword,
});

export function registerAuthRoutes(app: TypedApp, ctx: Ctx): void {
  loginRoute(app, ctx);
  app.route({
    ...LogoutRoute,
    handler: async (req, reply) => {
      const { session } = requireAuth(req);
      await ctx.store.sessions.delete(session.id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  });
  app.route({
    ...SessionRoute,
    handler: async (req) => {
      const { user, session } = requireAuth(req);
      return { user: userView(user), csrfToken: session.csrfToken };
    },
  });
  changePasswordRoute(app, ctx);
  createUserRoute(app, ctx);
}

function loginRoute(app: TypedApp, ctx: Ctx): void {
  const ttlMs = ctx.config.auth.sessionTtlMinutes * 60_000;
  app.route({
    ...LoginRoute,
    config: {
      access: 'public',
      rateLimit: { max: ctx.config.auth.loginMaxPerMinute, timeWindow: 60_000 },
    },
    handler: async (req, reply) => {
      const { username, password } = req.body;
      const user = await ctx.store.users.findByName(username);
      // Verify against a dummy hash for unknown users so response time does not reveal which usernames exist.
      const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
      if (!user || !ok) throw ctrlError('LW_CTRL_BAD_CREDENTIALS');
      const token = newSecret();
      const csrfToken = newSecret();
      const now = ctx.clock.now();
      await ctx.store.sessions.create({
        id: hashToken(token),
        userId: user.id,
        csrfToken,
        createdAt: now,
        expiresAt: new Date(now.getTime() + ttlMs),
      });
      reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        // Over TLS (served here or by a proxy in front) the cookie must never travel in plaintext.
        secure: ctx.config.auth.cookieSecure || servesTls(ctx.config) || ctx.config.http.behindTlsProxy,
        path: '/',
        maxAge: Math.floor(ttlMs / 1000),
      });
      return { user: userView(user), csrfToken };
    },
  });
}

function changePasswordRoute(app: TypedApp, ctx: Ctx): void {
  app.route({
    ...ChangePasswordRoute,
    config: { rateLimit: { max: ctx.config.auth.loginMaxPerMinute, timeWindow: 60_000 } },
    handler: async (req, reply) => {
      const { user, session } = requireAuth(req);
      const body = req.body;
      if (!(await verifyPassword(body.currentPassword, user.passwordHash))) throw ctrlError('LW_CTRL_BAD_CREDENTIALS');
      // A one-time password cannot be "changed" to itself.
      if (body.newPassword === body.currentPassword)
        throw ctrlError('LW_CTRL_VALIDATION', 'the new password must differ from the current one');
      await ctx.store.users.updatePassword(user.id, await hashPassword(body.newPassword));
      await ctx.store.sessions.deleteForUser(user.id, session.id);
      return reply.status(204).send(null);
    },
  });
}

function createUserRoute(app: TypedApp, ctx: Ctx): void {
  app.route({
    ...CreateUserRoute,
    config: { access: 'admin' },
    handler: async (req, reply) => {
      const body = req.body;
      if (await ctx.store.users.findByName(body.username))
        throw ctrlError('LW_CTRL_CONFLICT', 'username already exists');
      const user: UserRow = {
        id: randomUUID(),
        username: body.username,
        passwordHash: await hashPassword(body.password),
        role: body.role,
        lines: body.lines,
        createdAt: ctx.clock.now(),
        mustChangePassword: false,
      };
      await ctx.store.users.create(user);
      return reply.status(201).send(userView(user));
    },
  });
}
