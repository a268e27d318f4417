import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { login, testApp, userSession } from './helpers/http.js';

test('admin provisions a device: credentials shown once, stored hashed; QA sees only own lines', async () => {
  const { app, adminPassword } = await testApp();
  try {
    const admin = await login(app, 'admin', adminPassword);
    const create = (id: string, line: string, headers = admin.headers) =>
      app.inject({ method: 'POST', url: '/api/devices', headers, payload: { id, name: `Device ${id}`, line } });
    const res = await create('cam-box-1', 'line-1');
    assert.equal(res.statusCode, 201, res.body);
    const { device, credentials } = res.json();
    assert.equal(device.id, 'cam-box-1');
    assert.equal(credentials.username, 'cam-box-1');
    assert.equal(credentials.clientId, 'lw-agent-cam-box-1');
    assert.equal(credentials.topicPrefix, 'linewatch/v1/default/line-1/cam-box-1');
    assert.ok(credentials.password.length >= 40);
    const stored = await app.ctx.store.devices.find('cam-box-1');
    assert.notEqual(stored?.credentialHash, credentials.password);
    assert.equal(stored?.credentialHash, createHash('sha256').update(credentials.password).digest('hex'));
    assert.equal((await create('cam-box-2', 'line-2')).statusCode, 201);
    assert.equal((await create('cam-box-1', 'line-1')).json().code, 'LW_CTRL_CONFLICT');
    assert.equal((await create('Bad/Id', 'line-1')).json().code, 'LW_CTRL_VALIDATION');

    const listed = await app.inject({ method: 'GET', url: '/api/devices/cam-box-1', headers: admin.headers });
    assert.equal(listed.statusCode, 200);
    assert.equal(JSON.stringify(listed.json()).includes(credentials.password), false);

    const qa = await userSession(app, admin, 'qa1', 'qa', ['line-1']);
    assert.equal((await create('cam-box-3', 'line-1', qa.headers)).statusCode, 403);
    const mine = await app.inject({ method: 'GET', url: '/api/devices', headers: qa.headers });
    assert.deepEqual(
      mine.json().devices.map((d: { id: string }) => d.id),
      ['cam-box-1'],
    );
    const other = await app.inject({ method: 'GET', url: '/api/devices/cam-box-2', headers: qa.headers });
    assert.equal(other.statusCode, 404);
    assert.equal(other.json().code, 'LW_CTRL_NOT_FOUND');
    const all = await app.inject({ method: 'GET', url: '/api/devices', headers: admin.headers });
    assert.equal(all.json().devices.length, 2);
  } finally {
    await app.close();
  }
});

test('OpenAPI document lists the routes', async () => {
  const { app } = await testApp();
  try {
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(res.statusCode, 200);
    const paths = Object.keys(res.json().paths);
    for (const p of ['/api/auth/login', '/api/devices', '/api/devices/{id}']) assert.ok(paths.includes(p), p);
  } finally {
    await app.close();
  }
});

test('the QA UI is served at / with its assets, under a same-origin CSP', async () => {
  const { app } = await testApp();
  try {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.match(page.body, /<script type="module" src="\/ui\/app.js">/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    for (const asset of [
      'app.js',
      'api.js',
      'queue.js',
      'event.js',
      'painter.js',
      'heatmap.js',
      'fleet.js',
      'app.css',
    ]) {
      assert.equal((await app.inject({ method: 'GET', url: `/ui/${asset}` })).statusCode, 200, asset);
    }
    assert.equal((await app.inject({ method: 'GET', url: '/ui/../package.json' })).statusCode, 404);
  } finally {
    await app.close();
  }
});
