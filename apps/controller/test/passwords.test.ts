/**
 * One-time passwords: the bootstrap admin's (with oneTimeAdminPassword, as main runs it) and every admin reset must
 * be changed before anything else (403 LW_CTRL_PASSWORD_CHANGE_REQUIRED); user administration by admins; the
 * bootstrap password lives in an owner-only file that goes away once the password is changed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { UserView } from '@linewatch/protocol/http';
import { forgetChangedPassword, initialPasswordPath, writeInitialPassword } from '../src/auth/initial-password.js';
import { login, testApp, userSession } from './helpers/http.js';

const dir = mkdtempSync(join(tmpdir(), 'lw-pw-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the bootstrap password is one-time: only session, logout and password change until it is changed', async () => {
  const { app, adminPassword } = await testApp({ oneTimeAdminPassword: true });
  try {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password: adminPassword },
    });
    assert.equal(res.json().user.mustChangePassword, true);
    const admin = await login(app, 'admin', adminPassword);
    const blocked = await app.inject({ method: 'GET', url: '/api/devices', headers: admin.headers });
    assert.deepEqual([blocked.statusCode, blocked.json().code], [403, 'LW_CTRL_PASSWORD_CHANGE_REQUIRED']);
    const session = await app.inject({ method: 'GET', url: '/api/auth/session', headers: admin.headers });
    assert.equal(session.json().user.mustChangePassword, true);
    const change = (newPassword: string) =>
      app.inject({
        method: 'POST',
        url: '/api/auth/password',
        headers: admin.headers,
        payload: { currentPassword: adminPassword, newPassword },
      });
    assert.equal((await change(adminPassword)).json().code, 'LW_CTRL_VALIDATION', 'must differ');
    assert.equal((await change('a-new-admin-password-42')).statusCode, 204);
    const now = await app.inject({ method: 'GET', url: '/api/devices', headers: admin.headers });
    assert.equal(now.statusCode, 200);
    const after = await app.inject({ method: 'GET', url: '/api/auth/session', headers: admin.headers });
    assert.equal(after.json().user.mustChangePassword, false);
  } finally {
    await app.close();
  }
});

test('admins list users, set role and line scope, and reset passwords (one-time, sessions ended)', async () => {
  const { app, adminPassword } = await testApp();
  try {
    const admin = await login(app, 'admin', adminPassword);
    const qa = await userSession(app, admin, 'qa1', 'qa', ['line-1']);
    const users = (await app.inject({ method: 'GET', url: '/api/users', headers: admin.headers })).json()
      .users as UserView[];
    assert.deepEqual(
      users.map((u) => [u.username, u.role, u.mustChangePassword]),
      [
        ['admin', 'admin', false],
        ['qa1', 'qa', false],
      ],
    );
    const qaId = users.find((u) => u.username === 'qa1')!.id;
    const adminId = users.find((u) => u.username === 'admin')!.id;
    assert.equal((await app.inject({ method: 'GET', url: '/api/users', headers: qa.headers })).statusCode, 403);
    const patch = (id: string, payload: Record<string, unknown>) =>
      app.inject({ method: 'PATCH', url: `/api/users/${id}`, headers: admin.headers, payload });
    const up = await patch(qaId, { lines: ['line-1', 'line-2'] });
    assert.deepEqual(up.json().lines, ['line-1', 'line-2']);
    assert.equal((await patch(adminId, { role: 'qa' })).json().code, 'LW_CTRL_CONFLICT');
    assert.equal((await patch('nope', { role: 'qa' })).statusCode, 404);

    const reset = await app.inject({
      method: 'POST',
      url: `/api/users/${qaId}/password`,
      headers: admin.headers,
      payload: { password: 'temporary-pass-123' },
    });
    assert.equal(reset.json().mustChangePassword, true);
    const old = await app.inject({ method: 'GET', url: '/api/auth/session', headers: qa.headers });
    assert.equal(old.statusCode, 401, 'sessions ended');
    const qa2 = await login(app, 'qa1', 'temporary-pass-123');
    const events = await app.inject({ method: 'GET', url: '/api/events', headers: qa2.headers });
    assert.equal(events.json().code, 'LW_CTRL_PASSWORD_CHANGE_REQUIRED');
    const changed = await app.inject({
      method: 'POST',
      url: '/api/auth/password',
      headers: qa2.headers,
      payload: { currentPassword: 'temporary-pass-123', newPassword: 'my-own-password-77' },
    });
    assert.equal(changed.statusCode, 204);
    assert.equal((await app.inject({ method: 'GET', url: '/api/events', headers: qa2.headers })).statusCode, 200);
  } finally {
    await app.close();
  }
});

test('the initial password file is owner-only and removed once the password was changed', async () => {
  const { app, adminPassword } = await testApp();
  try {
    const path = initialPasswordPath(dir);
    writeInitialPassword(path, adminPassword);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(await forgetChangedPassword(app.ctx.store, path), false, 'still valid: kept');
    assert.ok(existsSync(path));
    const admin = await login(app, 'admin', adminPassword);
    await app.inject({
      method: 'POST',
      url: '/api/auth/password',
      headers: admin.headers,
      payload: { currentPassword: adminPassword, newPassword: 'changed-password-123' },
    });
    assert.equal(await forgetChangedPassword(app.ctx.store, path), true);
    assert.equal(existsSync(path), false);
  } finally {
    await app.close();
  }
});
