/**
 * Approval: a version that already runs on every device of the approval's scope is refused (409, nothing to roll
 * out — approving the line's installed first model once started a downgrade rollout); the API names the approver by
 * username beside the id, in the approval's answer, the list and the single version.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelVersionBody } from '@linewatch/protocol/http';
import { ManualClock } from '../src/clock.js';
import { login, testApp, userSession, type Session } from './helpers/http.js';
import { provision } from './helpers/mqtt.js';
import { makeKeys } from './helpers/rollout-fixture.js';
import { stubPackage } from './helpers/sim-agent.js';

async function setup() {
  const keys = makeKeys();
  const clock = new ManualClock(Date.UTC(2026, 11, 3, 12));
  const { app, adminPassword } = await testApp({ clock, overrides: { registry: { trustedKeys: [keys.pem] } } });
  const admin = await login(app, 'admin', adminPassword);
  const upload = async (version: string, build: number) => {
    const res = await app.inject({
      method: 'POST',
      url: `/api/models?version=${version}&line=line-1`,
      headers: { ...admin.headers, 'content-type': 'application/octet-stream' },
      payload: stubPackage(keys.privateKey, keys.publicKey, '1.0.0', build),
    });
    assert.equal(res.statusCode, 201, res.body);
  };
  const approve = (who: Session, version: string, body: Record<string, unknown> = { startRollout: false }) =>
    app.inject({ method: 'POST', url: `/api/models/${version}/approve`, headers: who.headers, payload: body });
  const runs = (device: string, version: string) =>
    app.ctx.store.fleet.upsert(device, { lastSeen: clock.now(), modelVersion: version }, clock.now());
  return { app, admin, upload, approve, runs };
}

test('approving a version every device of its line already runs: 409 LW_CTRL_MODEL_ALREADY_LIVE, nothing recorded', async () => {
  const { app, admin, upload, approve, runs } = await setup();
  try {
    await upload('v1', 1);
    for (const id of ['d1', 'd2']) await provision(app.ctx.store, id, 'line-1');
    await provision(app.ctx.store, 'other', 'line-2');
    await runs('d1', 'v1');
    await runs('d2', 'v1');
    await runs('other', 'x');
    for (const body of [{}, { startRollout: false }, { line: 'line-1' }]) {
      const res = await approve(admin, 'v1', body);
      assert.equal(res.statusCode, 409, res.body);
      const err = res.json() as { code: string; message: string };
      assert.equal(err.code, 'LW_CTRL_MODEL_ALREADY_LIVE');
      assert.match(err.message, /^v1 already runs on every device of line line-1 \(2 of 2\): nothing to approve/);
    }
    const row = await app.registry.get('v1');
    assert.equal(row?.approvedAt, null, 'the refusal records no approval');
    assert.equal((await app.ctx.store.rollouts.list(10)).length, 0, 'and starts no rollout');
    // Fleet-wide, line-2's device does not run it: there is something to roll out (here: approval only).
    const fleet = await approve(admin, 'v1', { line: null, startRollout: false });
    assert.equal(fleet.statusCode, 200, fleet.body);
  } finally {
    await app.close();
  }
});

test('a version some device of the line does not run yet can be approved', async () => {
  const { app, admin, upload, approve, runs } = await setup();
  try {
    await upload('v1', 1);
    for (const id of ['d1', 'd2']) await provision(app.ctx.store, id, 'line-1');
    await runs('d1', 'v1');
    await runs('d2', 'v0');
    const res = await approve(admin, 'v1');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((res.json() as { model: ModelVersionBody }).model.status, 'approved');
  } finally {
    await app.close();
  }
});

test('the approver is named by username (beside the id) in the approval, the list and the version', async () => {
  const { app, admin, upload, approve } = await setup();
  try {
    await upload('v1', 1);
    await upload('v2', 2);
    const alice = await userSession(app, admin, 'alice', 'admin', []);
    const aliceId = (await app.ctx.store.users.findByName('alice'))!.id;
    const adminId = (await app.ctx.store.users.findByName('admin'))!.id;
    const res = await approve(alice, 'v2');
    assert.equal(res.statusCode, 200, res.body);
    const approved = (res.json() as { model: ModelVersionBody }).model;
    assert.equal(approved.approvedBy, aliceId);
    assert.equal(approved.approvedByName, 'alice');
    assert.notEqual(aliceId, 'alice', 'the id is not the name');
    assert.equal((await approve(admin, 'v1')).statusCode, 200);

    const list = await app.inject({ method: 'GET', url: '/api/models', headers: admin.headers });
    const byVersion = new Map((list.json() as { models: ModelVersionBody[] }).models.map((m) => [m.version, m]));
    assert.deepEqual([byVersion.get('v1')?.approvedBy, byVersion.get('v1')?.approvedByName], [adminId, 'admin']);
    assert.equal(byVersion.get('v2')?.approvedByName, 'alice');
    const one = await app.inject({ method: 'GET', url: '/api/models/v2', headers: admin.headers });
    assert.equal((one.json() as ModelVersionBody).approvedByName, 'alice');
    // an unapproved version has no approver
    await upload('v3', 3);
    const v3 = await app.inject({ method: 'GET', url: '/api/models/v3', headers: admin.headers });
    assert.equal((v3.json() as ModelVersionBody).approvedByName, null);
  } finally {
    await app.close();
  }
});
