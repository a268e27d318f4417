/**
 * JSON bodies that fastify's secure-json-parse refuses (prototype-poisoning keys) are answered with a coded 400 that
 * says which key was refused, not as "not valid JSON"; malformed JSON keeps its own answer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { login, testApp } from './helpers/http.js';

const json = { 'content-type': 'application/json' };

test('a __proto__ or constructor.prototype key is refused as LW_CTRL_BAD_JSON naming the key', async () => {
  const { app, adminPassword } = await testApp();
  try {
    const post = (url: string, payload: string, headers: Record<string, string> = {}) =>
      app.inject({ method: 'POST', url, headers: { ...json, ...headers }, payload });
    const proto = await post('/api/auth/login', '{"username":"admin","password":"x","__proto__":{"isAdmin":true}}');
    assert.equal(proto.statusCode, 400);
    assert.equal(proto.json().code, 'LW_CTRL_BAD_JSON');
    assert.match(proto.json().message, /"__proto__" key is not accepted/);
    const ctor = await post(
      '/api/auth/login',
      '{"username":"admin","password":"x","constructor":{"prototype":{"isAdmin":true}}}',
    );
    assert.equal(ctor.statusCode, 400);
    assert.equal(ctor.json().code, 'LW_CTRL_BAD_JSON');
    assert.match(ctor.json().message, /"constructor\.prototype" key is not accepted/);
    const nested = await post('/api/auth/login', '[1, {"a": [{"__proto__": null}]}]');
    assert.equal(nested.json().code, 'LW_CTRL_BAD_JSON');
    // Routes registered in child scopes (and behind the guard) get the same parser.
    const admin = await login(app, 'admin', adminPassword);
    const device = await post('/api/devices', '{"id":"d1","name":"D","line":"l1","__proto__":{}}', admin.headers);
    assert.equal(device.statusCode, 400);
    assert.equal(device.json().code, 'LW_CTRL_BAD_JSON');
  } finally {
    await app.close();
  }
});

test('malformed or empty JSON and harmless "constructor" keys keep their previous answers', async () => {
  const { app, adminPassword } = await testApp();
  try {
    const post = (payload: string) => app.inject({ method: 'POST', url: '/api/auth/login', headers: json, payload });
    const broken = await post('{"username":');
    assert.equal(broken.statusCode, 400);
    assert.equal(broken.json().code, 'LW_CTRL_VALIDATION');
    assert.match(broken.json().message, /not valid JSON/);
    const empty = await post('');
    assert.equal(empty.statusCode, 400);
    assert.equal(empty.json().code, 'LW_CTRL_VALIDATION');
    assert.match(empty.json().message, /cannot be empty/);
    // A "constructor" key without a prototype inside is parsed (validation drops the unknown property): the login
    // then fails on the password, not on the body.
    const ctor = await post('{"username":"admin","password":"x","constructor":{"name":1}}');
    assert.equal(ctor.statusCode, 401);
    assert.equal(ctor.json().code, 'LW_CTRL_BAD_CREDENTIALS');
    // A UTF-8 byte-order mark is still accepted, as fastify's parser does.
    const ok = await post(`\uFEFF${JSON.stringify({ username: 'admin', password: adminPassword })}`);
    assert.equal(ok.statusCode, 200, ok.body);
  } finally {
    await app.close();
  }
});
