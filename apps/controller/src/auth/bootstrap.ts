/**
 * First start: with no users at all, create `admin` with a random password and hand it to the caller (main keeps it
 * in an owner-only file, see initial-password.ts). Nothing is created when any user exists, so restarts never reset
 * credentials. `oneTime`: the password must be changed at the first sign-in (main; tests and benches that drive the
 * API as this admin leave it off).
 */
import { randomUUID } from 'node:crypto';
import type { Ctx } from '../context.js';
import { hashPassword, newSecret } from './password.js';

export async function bootstrapAdmin(
  ctx: Ctx,
  oneTime = false,
): Promise<{ username: string; password: string } | null> {
  if ((await ctx.store.users.count()) > 0) return null;
  const password = newSecret(18);
  await ctx.store.users.create({
    id: randomUUID(),
    username: 'admin',
    passwordHash: await hashPassword(password),
    role: 'admin',
    lines: [],
    createdAt: ctx.clock.now(),
    mustChangePassword: oneTime,
  });
  return { username: 'admin', password };
}
