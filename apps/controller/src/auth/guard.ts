/**
 * Authentication and CSRF for every /api route, in onRequest (before the body is parsed, so anonymous clients
 * cannot make us parse large bodies). Routes opt out with `config: { access: 'public' }` and restrict to admins with
 * `access: 'admin'`; the default is "any signed-in user" so a forgotten option fails closed.
 *
 * A user whose password is one-time (bootstrap admin, admin reset) gets 403 LW_CTRL_PASSWORD_CHANGE_REQUIRED on
 * everything but session, logout and password change.
 *
 * CSRF: synchronizer token. The token is created with the session, returned by login/session, and must come back
 * in the `x-csrf-token` header on every state-changing request. The cookie is also SameSite=Strict.
 */
import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';
import type { TypedApp } from '../http/typed-app.js';
import { ctrlError } from '../errors.js';
import type { SessionRow, UserRow } from '../store/types.js';
import { hashToken, safeEqual } from './password.js';
import { requireWorker } from './worker-token.js';

export const SESSION_COOKIE = 'lw_session';
/** 'worker': trainer workers, bearer token from the config (worker-token.ts), no session, no CSRF. */
export type Access = 'public' | 'user' | 'admin' | 'worker';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    auth: { user: UserRow; session: SessionRow } | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What a user holding a one-time password may still do: see who they are, sign out, and change it. */
const ONE_TIME_PASSWORD_ROUTES = new Set(['/api/auth/session', '/api/auth/logout', '/api/auth/password']);

/** Lines the user may see: undefined means all (admins). */
export function visibleLines(user: UserRow): string[] | undefined {
  return user.role === 'admin' ? undefined : user.lines;
}

export function canSeeLine(user: UserRow, line: string): boolean {
  return user.role === 'admin' || user.lines.includes(line);
}

export async function resolveSession(
  ctx: Ctx,
  req: FastifyRequest,
): Promise<{ user: UserRow; session: SessionRow } | null> {
  const token = req.cookies[SESSION_COOKIE];
  if (!token) return null;
  const session = await ctx.store.sessions.find(hashToken(token));
  if (!session || session.expiresAt.getTime() <= ctx.clock.now().getTime()) return null;
  const user = await ctx.store.users.find(session.userId);
  return user ? { user, session } : null;
}

export function requireAuth(req: FastifyRequest): { user: UserRow; session: SessionRow } {
  if (!req.auth) throw ctrlError('LW_CTRL_UNAUTHENTICATED');
  return req.auth;
}

export function installGuard(app: TypedApp, ctx: Ctx): void {
  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (req) => {
    // Decide on the matched route pattern, not the raw URL: encoded or oddly written paths that still reach an
    // /api handler must not slip past the guard.
    if (!(req.routeOptions.url ?? req.url).startsWith('/api/')) return;
    const access: Access = req.routeOptions.config.access ?? 'user';
    if (access === 'public') return;
    if (access === 'worker') return requireWorker(ctx, req);
    const auth = await resolveSession(ctx, req);
    if (!auth) throw ctrlError('LW_CTRL_UNAUTHENTICATED');
    if (auth.user.mustChangePassword && !ONE_TIME_PASSWORD_ROUTES.has(req.routeOptions.url ?? ''))
      throw ctrlError('LW_CTRL_PASSWORD_CHANGE_REQUIRED');
    if (access === 'admin' && auth.user.role !== 'admin') throw ctrlError('LW_CTRL_FORBIDDEN', 'admin role required');
    if (!SAFE_METHODS.has(req.method)) {
      const header = req.headers['x-csrf-token'];
      if (typeof header !== 'string' || !safeEqual(header, auth.session.csrfToken)) throw ctrlError('LW_CTRL_CSRF');
    }
    req.auth = auth;
  });
}
