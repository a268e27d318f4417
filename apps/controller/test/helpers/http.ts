/** HTTP test helpers: a throw-away app and signed-in sessions via fastify inject. */
import assert from 'node:assert/strict';
import { build, type App, type BuildOptions } from '../../src/app.js';

export interface TestApp {
  app: App;
  adminPassword: string;
}

export async function testApp(opts: BuildOptions = {}): Promise<TestApp> {
  let adminPassword = '';
  const app = await build({
    logger: false,
    ...opts,
    overrides: { mqtt: { enabled: false }, ...opts.overrides },
    onBootstrap: (c) => {
      adminPassword = c.password;
    },
  });
  return { app, adminPassword };
}

export interface Session {
  cookie: string;
  csrf: string;
  headers: { cookie: string; 'x-csrf-token': string };
}

export async function login(app: App, username: string, password: string): Promise<Session> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  assert.equal(res.statusCode, 200, res.body);
  const c = res.cookies.find((x) => x.name === 'lw_session');
  assert.ok(c, 'session cookie set');
  const cookie = `lw_session=${c.value}`;
  const csrf = (res.json() as { csrfToken: string }).csrfToken;
  return { cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } };
}

/** Creates a QA (or admin) user through the API and signs them in. */
export async function userSession(
  app: App,
  admin: Session,
  username: string,
  role: 'qa' | 'admin',
  lines: string[],
): Promise<Session> {
  const password = `pw-${username}-0123456789`;
  const res = await app.inject({
    method: 'POST',
    url: '/api/users',
    headers: admin.headers,
    payload: { username, password, role, lines },
  });
  assert.equal(res.statusCode, 201, res.body);
  return login(app, username, password);
}
