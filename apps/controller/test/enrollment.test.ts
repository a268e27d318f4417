/**
 * Enrollment over the API: an admin mints a one-time token for (line, device id, expiry); the device trades it with
 * no session for credentials, broker URLs, the CA, the signing keys and the line's live model. Reuse, expiry and an
 * unknown/revoked token are each refused with their own code; a token for an existing device re-keys it.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeTestCa } from '@linewatch/testing';
import type { CreatedEnrollmentToken, EnrollReply, EnrollmentTokenView } from '@linewatch/protocol/http';
import { ManualClock } from '../src/clock.js';
import { login, testApp, type Session } from './helpers/http.js';
import type { App } from '../src/app.js';
import { stubPackage } from './helpers/sim-agent.js';

const dir = mkdtempSync(join(tmpdir(), 'lw-enroll-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ca = makeTestCa(join(dir, 'ca'));
const keys = generateKeyPairSync('ed25519');
const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();

async function setup(clock: ManualClock): Promise<{ app: App; admin: Session }> {
  const { app, adminPassword } = await testApp({
    clock,
    overrides: {
      tls: { caPath: ca.caPath },
      registry: { trustedKeys: [pem], publicUrl: 'https://ctl.example:8443' },
    },
  });
  return { app, admin: await login(app, 'admin', adminPassword) };
}

const mint = (app: App, admin: Session, payload: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: '/api/enrollment-tokens', headers: admin.headers, payload });
const enroll = (app: App, token: string, hostname = 'box-1') =>
  app.inject({ method: 'POST', url: '/api/v1/enroll', payload: { token, hostname, agentVersion: '0.1.0' } });

test('a token enrolls one device once: credentials, broker, CA, keys; reuse, expiry, revoke are coded', async () => {
  const clock = new ManualClock(Date.UTC(2026, 11, 3, 8));
  const { app, admin } = await setup(clock);
  try {
    const res = await mint(app, admin, { line: 'line-1', device: 'cam-box-7', name: 'Press 7', expiresInMinutes: 30 });
    assert.equal(res.statusCode, 201, res.body);
    const created = res.json() as CreatedEnrollmentToken;
    assert.equal(created.enrollment.state, 'pending');
    assert.equal(JSON.stringify(await app.ctx.store.enrollment.list()).includes(created.token), false, 'hashed');

    const ok = await enroll(app, created.token);
    assert.equal(ok.statusCode, 200, ok.body);
    const body = ok.json() as EnrollReply;
    assert.deepEqual([body.device.id, body.device.line, body.device.name], ['cam-box-7', 'line-1', 'Press 7']);
    assert.equal(body.credentials.username, 'cam-box-7');
    assert.equal(body.credentials.topicPrefix, 'linewatch/v1/default/line-1/cam-box-7');
    const stored = await app.ctx.store.devices.find('cam-box-7');
    assert.equal(stored?.credentialHash, createHash('sha256').update(body.credentials.password).digest('hex'));
    assert.equal(body.caCertPem, ca.caPem);
    assert.equal(body.controllerUrl, 'https://ctl.example:8443');
    assert.ok(body.brokerUrls.length >= 1);
    assert.equal(body.trustedKeys.length, 1);
    assert.equal(body.trustedKeys[0]!.trim(), pem.trim());
    assert.equal(body.model, null, 'no model on the line yet');

    const again = await enroll(app, created.token, 'box-2');
    assert.deepEqual([again.statusCode, again.json().code], [409, 'LW_CTRL_ENROLL_TOKEN_USED']);
    const unknown = await enroll(app, 'x'.repeat(32));
    assert.deepEqual([unknown.statusCode, unknown.json().code], [401, 'LW_CTRL_ENROLL_TOKEN_UNKNOWN']);

    const late = (await mint(app, admin, { line: 'line-1', device: 'cam-box-8', expiresInMinutes: 1 })).json();
    clock.advance(61_000);
    const expired = await enroll(app, late.token);
    assert.deepEqual([expired.statusCode, expired.json().code], [410, 'LW_CTRL_ENROLL_TOKEN_EXPIRED']);
    assert.equal(await app.ctx.store.devices.find('cam-box-8'), null);

    const revokedTok = (await mint(app, admin, { line: 'line-1', device: 'cam-box-9' })).json();
    const rv = await app.inject({
      method: 'POST',
      url: `/api/enrollment-tokens/${revokedTok.enrollment.id}/revoke`,
      headers: admin.headers,
    });
    assert.equal(rv.json().state, 'revoked');
    assert.equal((await enroll(app, revokedTok.token)).json().code, 'LW_CTRL_ENROLL_TOKEN_UNKNOWN');

    const list = await app.inject({ method: 'GET', url: '/api/enrollment-tokens', headers: admin.headers });
    const states = Object.fromEntries(
      (list.json().tokens as EnrollmentTokenView[]).map((t) => [t.device, [t.state, t.createdBy]]),
    );
    assert.deepEqual(states, {
      'cam-box-7': ['used', 'admin'],
      'cam-box-8': ['expired', 'admin'],
      'cam-box-9': ['revoked', 'admin'],
    });
    assert.equal(JSON.stringify(list.json()).includes(created.token), false);
  } finally {
    await app.close();
  }
});

test('a token for an existing device re-keys it (history kept); a device on another line is a conflict', async () => {
  const clock = new ManualClock(Date.UTC(2026, 11, 3, 8));
  const { app, admin } = await setup(clock);
  try {
    const prov = await app.inject({
      method: 'POST',
      url: '/api/devices',
      headers: admin.headers,
      payload: { id: 'dev-a', name: 'A', line: 'line-1' },
    });
    const first = prov.json().credentials.password as string;
    await app.ctx.store.fleet.upsert('dev-a', { online: false, lastSeen: clock.now() }, clock.now());
    const wrongLine = await mint(app, admin, { line: 'line-2', device: 'dev-a' });
    assert.deepEqual([wrongLine.statusCode, wrongLine.json().code], [409, 'LW_CTRL_CONFLICT']);
    const tok = (await mint(app, admin, { line: 'line-1', device: 'dev-a' })).json();
    const body = (await enroll(app, tok.token)).json() as EnrollReply;
    assert.notEqual(body.credentials.password, first);
    assert.equal(body.device.createdAt, prov.json().device.createdAt);
    assert.ok(await app.ctx.store.fleet.get('dev-a'), 'fleet history kept');
    // Non-admins cannot mint or list tokens; the enroll route needs no session but a token.
    const anon = await app.inject({ method: 'GET', url: '/api/enrollment-tokens' });
    assert.equal(anon.statusCode, 401);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/enroll', payload: { token: 'short' } });
    assert.equal(bad.json().code, 'LW_CTRL_VALIDATION');
  } finally {
    await app.close();
  }
});

test("enrollment hands out the line's deployed model with a signed download link", async () => {
  const clock = new ManualClock(Date.now());
  const { app, admin } = await setup(clock);
  try {
    const up = await app.inject({
      method: 'POST',
      url: '/api/models?version=v1&line=line-1',
      headers: { ...admin.headers, 'content-type': 'application/octet-stream' },
      payload: stubPackage(keys.privateKey, keys.publicKey, '1.0.0', 1),
    });
    assert.equal(up.statusCode, 201, up.body);
    await app.registry.setStatus('v1', 'deployed');
    const tok = (await mint(app, admin, { line: 'line-1', device: 'dev-m' })).json();
    const body = (await enroll(app, tok.token)).json() as EnrollReply;
    assert.equal(body.model?.version, 'v1');
    assert.equal(body.model?.sha256, (await app.registry.get('v1'))?.sha256);
    const url = new URL(body.model!.packageUrl);
    assert.equal(url.origin, 'https://ctl.example:8443');
    const dl = await app.inject({ method: 'GET', url: `${url.pathname}${url.search}` });
    assert.equal(dl.statusCode, 200);
  } finally {
    await app.close();
  }
});
