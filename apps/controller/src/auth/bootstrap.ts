/**
 * First start: with no users at all, create `admin` with a random one-time password and hand it to the caller
 * (main prints it once). Nothing is created when any user exists, so restarts never reset credentials.
 */
import { randomUUID } from 'node:crypto';
import type { Ctx } from '../context.js';
import { hashPassword, newSecret } from './password.js';

export async function bootstrapAdmin(ctx: Ctx): Promise<{ username: string; password: string } | null> {
  if ((await ctx.store.users.count()) > 0) return null;
  const password = newSecret(18);
  await ctx.store.users.create({
    id: randomUUID(),
    username: 'admin',
    passwordHash: await hashPassword(password),
    role: 'admin',
    lines: [],
    createdAt: ctx.clock.now(),
  });
  return { username: 'admin', password };
}
