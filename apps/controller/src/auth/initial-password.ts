/**
 * The bootstrap admin's password, kept out of logs: main writes it to an owner-only file in the data directory (and
 * to the terminal when stdout is one), never to a log line. Once the admin has changed it, the file is removed at the
 * next start, so a stale password is never shown again.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Store } from '../store/store.js';
import { verifyPassword } from './password.js';

export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

export function initialPasswordPath(dataDir: string): string {
  return join(dataDir, INITIAL_PASSWORD_FILE);
}

/**
 * First start: the password goes to the owner-only file, and to the terminal only when stdout is one (a service's or
 * `npm start`'s stdout is a log file).
 */
export function announceBootstrap(
  path: string,
  creds: { username: string; password: string },
  out: { isTTY?: boolean; write(s: string): unknown },
): void {
  writeInitialPassword(path, creds.password);
  const shown = out.isTTY ? `: ${creds.password}\n  (also` : ' (';
  out.write(
    `\nFirst start: created user "${creds.username}" with a one-time password${shown} kept in ${path}, owner-only, ` +
      'until it is changed; the UI asks for a new one at the first sign-in)\n\n',
  );
}

export function writeInitialPassword(path: string, password: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
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
