/**
 * The real controller process (src/main.ts, stdout a pipe as under a service manager or `npm start`): the first
 * start's admin password is written to an owner-only file and never to stdout/stderr (the log), it must be changed
 * at first sign-in, the database is owner-only, and once the password is changed the next start removes the file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ApiClient } from '@linewatch/protocol/client';
import { ChangePasswordRoute, ListDevicesRoute } from '@linewatch/protocol/http';
import { freePort, startController, stopController } from './helpers/controller-process.js';

const dir = mkdtempSync(join(tmpdir(), 'lw-main-pw-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('first start: one-time password in a 0600 file, not in the output; gone after it was changed', async () => {
  const spec = { dataDir: dir, httpPort: await freePort(), mqttPort: await freePort(), env: process.env };
  const base = `http://127.0.0.1:${spec.httpPort}`;
  let proc = await startController(spec);
  try {
    const file = join(dir, 'initial-admin-password');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'linewatch.db')).mode & 0o777, 0o600);
    const password = readFileSync(file, 'utf8').trim();
    assert.ok(password.length >= 20);
    assert.equal(proc.output().includes(password), false, 'the password is not in the output');
    assert.match(proc.output(), /initial-admin-password/);

    const admin = await ApiClient.login({ baseUrl: base }, 'admin', password);
    await assert.rejects(admin.call(ListDevicesRoute), (e: { code?: string }) => {
      assert.equal(e.code, 'LW_CTRL_PASSWORD_CHANGE_REQUIRED');
      return true;
    });
    await admin.call(ChangePasswordRoute, { body: { currentPassword: password, newPassword: 'a-chosen-password-1' } });
    await stopController(proc);
    proc = await startController(spec);
    assert.equal(existsSync(file), false, 'a changed password is not kept (or shown) any more');
    const again = await ApiClient.login({ baseUrl: base }, 'admin', 'a-chosen-password-1');
    assert.deepEqual((await again.call(ListDevicesRoute)).devices, []);
  } finally {
    await stopController(proc);
  }
});
