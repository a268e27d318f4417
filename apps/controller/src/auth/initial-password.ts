/**
 * The bootstrap admin's password, kept out of logs: main writes it to an owner-only file in the data directory (and
 * to the terminal when stdout is one), never to a log line. Once the admin has changed it, the file is removed at the
 * next start, so a stale password is never shown again.
 */
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/store.js';
import { verifyPassword } from './password.js';

export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

export function initialPasswordPath(dataDir: string): string {
  return join(dataDir, INITIAL_PASSWORD_FILE);
}

export function writeInitialPassword(path: string, password: string): void {
  writeFileSync(path, `${password}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // the mode above applies only when the file is created
}

/** Removes the file when its password no longer signs `username` in (changed, or the user is gone). */
export async function forgetChangedPassword(store: Store, path: string, username = 'admin'): Promise<boolean> {
  if (!existsSync(path)) return false;
  const user = await store.users.findByName(username);
  const password = readFileSync(path, 'utf8').trim();
  if (user && (await verifyPassword(password, user.passwordHash))) return false;
  rmSync(path, { force: true });
  return true;
}
