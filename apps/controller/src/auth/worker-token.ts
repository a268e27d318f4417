/**
 * Trainer workers authenticate with `Authorization: Bearer <jobs.workerToken>`. Both sides are hashed before the
 * constant-time comparison, so neither the token's bytes nor its length leak through timing. No token configured
 * means the worker API is closed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The presented bearer token, or null when the header is absent or not a bearer credential. */
export function bearerToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(h);
  return m ? (m[1] ?? null) : null;
}

export function isWorkerRequest(ctx: Ctx, req: FastifyRequest): boolean {
  const expected = ctx.config.jobs.workerToken;
  const got = bearerToken(req);
  return expected !== null && got !== null && timingSafeEqual(digest(got), digest(expected));
}

/** Throws LW_CTRL_UNAUTHENTICATED unless the request carries the configured worker token. */
export function requireWorker(ctx: Ctx, req: FastifyRequest): void {
  if (ctx.config.jobs.workerToken === null)
    throw ctrlError('LW_CTRL_UNAUTHENTICATED', 'worker API disabled: no jobs.workerToken configured');
  if (!isWorkerRequest(ctx, req)) throw ctrlError('LW_CTRL_UNAUTHENTICATED', 'missing or invalid worker token');
}
