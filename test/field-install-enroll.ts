/** The field-install test's admin side over HTTPS (CA-verified): sign in, leave the one-time password, mint tokens. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ApiClient, tlsFetch } from '@linewatch/protocol/client';

export type Admin = {
  mint: (device: string, expiresInMinutes: number) => Promise<string>;
  /** The typed API client, signed in as the admin over the same CA-verified HTTPS. */
  client: ApiClient;
};

/** A free loopback port (the broker's port goes into enrollment replies, so it cannot be 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Signs in with the one-time password the controller kept in its data folder, changes it, signs in again. */
export async function adminOver(baseUrl: string, caPem: string, dataDir: string): Promise<Admin> {
  const fetchCa = tlsFetch({ ca: caPem });
  const call = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetchCa(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const login = async (password: string): Promise<Record<string, string>> => {
    const res = await call('/api/auth/login', { username: 'admin', password });
    assert.equal(res.status, 200, await res.clone().text());
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    return { cookie, 'x-csrf-token': csrfToken };
  };
  const oneTime = readFileSync(join(dataDir, 'initial-admin-password'), 'utf8').trim();
  const first = await login(oneTime);
  const newPassword = 'field-install-admin-0123456789';
  const changed = await call('/api/auth/password', { currentPassword: oneTime, newPassword }, first);
  assert.equal(changed.status, 204, await changed.text());
  const session = await login(newPassword);
  const client = await ApiClient.login({ baseUrl, ca: caPem }, 'admin', newPassword);
  return {
    client,
    mint: async (device, expiresInMinutes) => {
      const res = await call('/api/enrollment-tokens', { line: 'line-1', device, expiresInMinutes }, session);
      assert.equal(res.status, 201, await res.clone().text());
      return ((await res.json()) as { token: string }).token;
    },
  };
}
