/**
 * Device administration with the embedded broker: re-key closes the live session and only the new secret connects;
 * disable/enable; delete forgets the device (no connection) but keeps its events, so its id cannot be provisioned
 * again while they exist.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { login, testApp } from './helpers/http.js';
import { connect } from './helpers/mqtt.js';
import { newEvent } from './helpers/store-suite.js';

test('re-key, enable, delete: the broker follows the rows', async () => {
  const { app, adminPassword } = await testApp({ overrides: { mqtt: { enabled: true, port: 0 } } });
  try {
    const admin = await login(app, 'admin', adminPassword);
    const post = (url: string) => app.inject({ method: 'POST', url, headers: admin.headers });
    const prov = await app.inject({
      method: 'POST',
      url: '/api/devices',
      headers: admin.headers,
      payload: { id: 'dev-k', name: 'K', line: 'line-1' },
    });
    const old = prov.json().credentials;
    const port = app.broker!.port;
    const as = (password: string) => connect(port, { clientId: old.clientId, username: 'dev-k', password });
    const live = await as(old.password);
    const closed = new Promise<void>((resolve) => live.once('close', () => resolve()));

    const rekeyed = await post('/api/devices/dev-k/rekey');
    assert.equal(rekeyed.statusCode, 200, rekeyed.body);
    const fresh = rekeyed.json().credentials.password as string;
    assert.notEqual(fresh, old.password);
    await closed;
    await assert.rejects(as(old.password));
    const again = await as(fresh);
    await again.endAsync();

    assert.equal((await post('/api/devices/dev-k/disable')).json().disabled, true);
    await assert.rejects(as(fresh));
    assert.equal((await post('/api/devices/dev-k/enable')).json().disabled, false);
    await (await as(fresh)).endAsync();

    await app.ctx.store.events.insertOnce(newEvent({ deviceId: 'dev-k' }));
    const del = await app.inject({ method: 'DELETE', url: '/api/devices/dev-k', headers: admin.headers });
    assert.equal(del.statusCode, 204);
    await assert.rejects(as(fresh));
    assert.equal(
      (await app.inject({ method: 'DELETE', url: '/api/devices/dev-k', headers: admin.headers })).statusCode,
      404,
    );
    const reuse = await app.inject({
      method: 'POST',
      url: '/api/devices',
      headers: admin.headers,
      payload: { id: 'dev-k', name: 'K2', line: 'line-1' },
    });
    assert.deepEqual([reuse.statusCode, reuse.json().code], [409, 'LW_CTRL_CONFLICT']);
    assert.equal((await post('/api/devices/nope/rekey')).statusCode, 404);
  } finally {
    await app.close();
  }
});
