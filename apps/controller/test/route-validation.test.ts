/**
 * The handlers now take their request types from the route schemas instead of casting, so those schemas must keep
 * refusing what the types rule out before a handler runs: params, querystrings and bodies of the rollout, job and
 * registry routes (the auth, device and event routes are covered by their own tests).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { login, testApp } from './helpers/http.js';

test('typed rollout, job and registry routes still refuse what their schemas rule out', async () => {
  const { app, adminPassword } = await testApp();
  try {
    const admin = await login(app, 'admin', adminPassword);
    const send = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
      const res = await app.inject({ method, url, headers: admin.headers, ...(payload !== undefined && { payload }) });
      return {
        status: res.statusCode,
        code: res.statusCode >= 400 ? (res.json() as { code: string }).code : null,
        body: res.body,
      };
    };
    const refused = [
      await send('GET', '/api/rollouts?limit=0'),
      await send('GET', '/api/rollouts?limit=many'),
      await send('POST', '/api/rollouts/r1/explode', {}),
      await send('POST', '/api/rollouts/r1/pause', { reason: 'x'.repeat(501) }),
      await send('POST', '/api/rollouts/r1/pause'),
      await send('POST', '/api/rollouts', { line: 'l1' }),
      await send('PUT', '/api/rollout-policies/bad%20scope', {}),
      await send('GET', '/api/jobs?limit=abc'),
      await send('POST', '/api/jobs', { line: 'Not A Slug' }),
      await send('GET', '/api/models?status=bogus'),
      await send('POST', '/api/models/1.0.0/approve', { startRollout: 'yes' }),
    ];
    for (const r of refused) assert.deepEqual([r.status, r.code], [400, 'LW_CTRL_VALIDATION'], r.body);
    // Valid requests reach the handlers with the schema's types: defaults applied, strings coerced to numbers.
    assert.deepEqual(JSON.parse((await send('GET', '/api/rollouts')).body), { rollouts: [] });
    assert.deepEqual(JSON.parse((await send('GET', '/api/rollouts?limit=5')).body), { rollouts: [] });
    assert.deepEqual(JSON.parse((await send('GET', '/api/jobs?limit=5')).body), { jobs: [] });
    // MQTT is off in test apps: a valid action gets as far as the engine check.
    const action = await send('POST', '/api/rollouts/r1/pause', { reason: 'looks wrong' });
    assert.deepEqual([action.status, action.code], [409, 'LW_CTRL_ROLLOUT_STATE']);
  } finally {
    await app.close();
  }
});
