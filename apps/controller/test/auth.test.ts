import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../src/clock.js';
import { openSqliteStore } from '../src/store/open-sqlite.js';
import { login, testApp, userSession } from './helpers/http.js';

test('first start creates one admin with a one-time password; later starts do not', async () => {
  const store = await openSqliteStore({ path: ':memory:', busyTimeoutMs: 1000 });
  try {
    const first = await testApp({ store });
    assert.ok(first.adminPassword.length >= 20);
    await login(first.app, 'admin', first.adminPassword);
    await first.app.close();
    const second = await testApp({ store });
    assert.equal(second.adminPassword, '');
    assert.equal(await store.users.count(), 1);
    await second.app.close();
  } finally {
    await store.close();
  }
});

test('login: bad credentials are 401 LW_CTRL_BAD_CREDENTIALS; success sets an HttpOnly SameSite=Strict cookie', async () => {
  const { app, adminPassword } = await testApp();
  try {
    for (const payload of [
      { username: 'admin', password: 'wrong' },
      { username: 'nobody', password: adminPassword },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload });
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { code: 'LW_CTRL_BAD_CREDENTIALS', message: 'invalid username or password' });
    }
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password: adminPassword },
    });
    assert.equal(res.statusCode, 200);
    const setCookie = String(res.headers['set-cookie']);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.equal(res.json().user.role, 'admin');
  } finally {
    await app.close();
  }
});

test('session, CSRF on state-changing routes, logout', async () => {
  const { app, adminPassword } = await testApp();
  try {
    assert.equal(
      (await app.inject({ method: 'GET', url: '/api/auth/session' })).json().code,
      'LW_CTRL_UNAUTHENTICATED',
    );
    const s = await login(app, 'admin', adminPassword);
    const me = await app.inject({ method: 'GET', url: '/api/auth/session', headers: { cookie: s.cookie } });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().csrfToken, s.csrf);
    const body = { username: 'qa1', password: 'long-enough-password', role: 'qa', lines: ['line-1'] };
    const noCsrf = await app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { cookie: s.cookie },
      payload: body,
    });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(noCsrf.json().code, 'LW_CTRL_CSRF');
    const badCsrf = await app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { cookie: s.cookie, 'x-csrf-token': `${s.csrf}x` },
      payload: body,
    });
    assert.equal(badCsrf.json().code, 'LW_CTRL_CSRF');
    assert.equal(
      (await app.inject({ method: 'POST', url: '/api/users', headers: s.headers, payload: body })).statusCode,
      201,
    );
    assert.equal(
      (await app.inject({ method: 'POST', url: '/api/users', headers: s.headers, payload: body })).json().code,
      'LW_CTRL_CONFLICT',
    );
    assert.equal((await app.inject({ method: 'POST', url: '/api/auth/logout', headers: s.headers })).statusCode, 204);
    assert.equal(
      (await app.inject({ method: 'GET', url: '/api/auth/session', headers: { cookie: s.cookie } })).statusCode,
      401,
    );
  } finally {
    await app.close();
  }
});

test('QA users cannot use admin routes; sessions expire', async () => {
  const clock = new ManualClock();
  const { app, adminPassword } = await testApp({ clock, overrides: { auth: { sessionTtlMinutes: 10 } } });
  try {
    const admin = await login(app, 'admin', adminPassword);
    const qa = await userSession(app, admin, 'qa1', 'qa', ['line-1']);
    const res = await app.inject({
      method: 'POST',
      url: '/api/users',
      headers: qa.headers,
      payload: { username: 'x', password: 'long-enough-password', role: 'admin', lines: [] },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().code, 'LW_CTRL_FORBIDDEN');
    clock.advance(9 * 60_000);
    assert.equal(
      (await app.inject({ method: 'GET', url: '/api/auth/session', headers: { cookie: qa.cookie } })).statusCode,
      200,
    );
    clock.advance(60_000);
    assert.equal(
      (await app.inject({ method: 'GET', url: '/api/auth/session', headers: { cookie: qa.cookie } })).statusCode,
      401,
    );
  } finally {
    await app.close();
  }
});

test('login is rate limited per client', async () => {
  const { app } = await testApp({ overrides: { auth: { loginMaxPerMinute: 3 } } });
  try {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'admin', password: 'x' },
      });
      codes.push(res.statusCode);
      if (res.statusCode === 429) assert.equal(res.json().code, 'LW_CTRL_RATE_LIMITED');
    }
    assert.deepEqual(codes, [401, 401, 401, 429, 429]);
  } finally {
    await app.close();
  }
});

test('security headers, coded 404/400/413/415 errors', async () => {
  const { app } = await testApp({ overrides: { http: { bodyLimitBytes: 2048 } } });
  try {
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.headers['x-content-type-options'], 'nosniff');
    assert.ok(health.headers['content-security-policy']);
    // Unknown API routes are 401 to anonymous clients (route existence is not revealed), 404 otherwise.
    assert.equal((await app.inject({ method: 'GET', url: '/api/nope' })).statusCode, 401);
    for (const url of ['/%61pi/devices', '/api//devices', '/api/devices/', '/./api/devices', '/api/%64evices']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 401, url);
    }
    const nf = await app.inject({ method: 'GET', url: '/nope' });
    assert.equal(nf.statusCode, 404);
    assert.equal(nf.json().code, 'LW_CTRL_NOT_FOUND');
    const invalid = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin' } });
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().code, 'LW_CTRL_VALIDATION');
    const big = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password: 'x'.repeat(5000) },
    });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().code, 'LW_CTRL_PAYLOAD_TOO_LARGE');
    const media = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=admin&password=x',
    });
    assert.equal(media.statusCode, 415);
    assert.equal(media.json().code, 'LW_CTRL_UNSUPPORTED_MEDIA_TYPE');
  } finally {
    await app.close();
  }
});

test('changing the password needs the current one and ends the other sessions', async () => {
  const { app, adminPassword } = await testApp();
  try {
    const a = await login(app, 'admin', adminPassword);
    const b = await login(app, 'admin', adminPassword);
    const change = (payload: object) =>
      app.inject({ method: 'POST', url: '/api/auth/password', headers: a.headers, payload });
    assert.equal(
      (await change({ currentPassword: 'wrong', newPassword: 'a-new-long-password' })).json().code,
      'LW_CTRL_BAD_CREDENTIALS',
    );
    assert.equal(
      (await change({ currentPassword: adminPassword, newPassword: 'short' })).json().code,
      'LW_CTRL_VALIDATION',
    );
    assert.equal(
      (await change({ currentPassword: adminPassword, newPassword: 'a-new-long-password' })).statusCode,
      204,
    );
    assert.equal(
      (await app.inject({ method: 'GET', url: '/api/auth/session', headers: { cookie: a.cookie } })).statusCode,
      200,
    );
    assert.equal(
      (await app.inject({ method: 'GET', url: '/api/auth/session', headers: { cookie: b.cookie } })).statusCode,
      401,
    );
    const old = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password: adminPassword },
    });
    assert.equal(old.statusCode, 401);
    await login(app, 'admin', 'a-new-long-password');
  } finally {
    await app.close();
  }
});
