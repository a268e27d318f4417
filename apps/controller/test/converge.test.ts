/**
 * A device joining a line converges to the line's live (deployed) model: on its birth with another version the
 * controller publishes a desiredModel for the live one (rolloutId converge-<line>), as a rollback when the device is
 * ahead of it. Devices already on the live version, and devices that were not (re)born, get nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Bus } from '../src/broker/bus.js';
import { ManualClock } from '../src/clock.js';
import { LineConvergence } from '../src/devices/converge.js';
import { DownloadTokens } from '../src/registry/download-token.js';
import { DEFAULT_POLICY } from '../src/rollouts/policy.js';
import { login, testApp } from './helpers/http.js';
import { images } from './helpers/messages.js';
import { provision } from './helpers/mqtt.js';
import { makeKeys, rolloutFixture } from './helpers/rollout-fixture.js';
import { SimAgent, stubPackage } from './helpers/sim-agent.js';

async function until(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('devices joining a line converge to its deployed model (update or rollback); others are left alone', async () => {
  const f = await rolloutFixture({ agents: 1, flagRate: () => 0, build: { overrides: { rollouts: { tickMs: 200 } } } });
  const joined: SimAgent[] = [];
  try {
    await f.addCandidate('v2', 2, {});
    await f.addCandidate('v3', 3, {}, 'v2');
    await f.app.registry.setStatus('v2', 'deployed');
    const imgs = await images();
    const join = async (id: string, version: string): Promise<SimAgent> => {
      const d = await provision(f.app.ctx.store, id, 'line-1', 'plant-a');
      const a = new SimAgent({
        mqttUrl: `mqtt://127.0.0.1:${f.app.broker!.port}`,
        device: d,
        trustedKeys: [f.keys.publicKey],
        version,
        flagRate: () => 0,
        fps: 5,
        images: imgs,
      });
      joined.push(a);
      await a.start();
      return a;
    };
    const behind = await join('dev-new', 'v1');
    const ahead = await join('dev-ahead', 'v3');
    const current = await join('dev-current', 'v2');
    await until(() => behind.version === 'v2' && ahead.version === 'v2', 'joining devices on v2');
    // Distinct commands: a retained copy may arrive beside the live one when the publish races the subscription.
    const commands = (a: SimAgent) => [...new Set(a.received.map((m) => `${m.rolloutId} ${m.version} ${m.rollback}`))];
    assert.deepEqual(commands(behind), ['converge-line-1 v2 false']);
    assert.deepEqual(commands(ahead), ['converge-line-1 v2 true']);
    await until(() => behind.reports.some((r) => r.version === 'v2' && r.state === 'live'), 'live report');
    assert.equal(current.received.length, 0, 'already on the live model');
    assert.equal(f.agents[0]!.version, 'v1', 'a device that was not reborn is not moved');
    assert.equal(f.agents[0]!.received.length, 0);
  } finally {
    await Promise.all(joined.map((a) => a.stop()));
    await f.close();
  }
});

test('convergence decides per birth: not while a rollout moves the line, not twice, not for disabled devices', async () => {
  const clock = new ManualClock(Date.now());
  const keys = makeKeys();
  const { app, adminPassword } = await testApp({ clock, overrides: { registry: { trustedKeys: [keys.pem] } } });
  try {
    const admin = await login(app, 'admin', adminPassword);
    for (const [version, build] of [
      ['v1', 1],
      ['v2', 2],
    ] as const) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/models?version=${version}&line=line-1`,
        headers: { ...admin.headers, 'content-type': 'application/octet-stream' },
        payload: stubPackage(keys.privateKey, keys.publicKey, `1.0.${build}`, build),
      });
      assert.equal(res.statusCode, 201, res.body);
    }
    await app.registry.setStatus('v2', 'deployed');
    for (const id of ['dev-x', 'dev-y', 'dev-off']) await provision(app.ctx.store, id, 'line-1', 'plant-a');
    await app.ctx.store.devices.disable('dev-off', clock.now());
    const published: string[] = [];
    const bus: Bus = {
      subscribe: async () => {},
      publish: async (p) => void published.push(`${p.topic} retain=${p.retain}`),
      close: async () => {},
      connected: true,
    };
    const tokens = new DownloadTokens(null, 900, clock);
    const conv = new LineConvergence(app.ctx, bus, app.registry, tokens, () => 'http://127.0.0.1:1');
    assert.equal(await conv.check('dev-x', 'v1'), 'v2');
    assert.deepEqual(published, ['linewatch/v1/plant-a/line-1/dev-x/cmd/model retain=true']);
    assert.equal(await conv.check('dev-x', 'v1'), null, 'sent recently: the agent may still be downloading');
    clock.advance(11 * 60_000);
    assert.equal(await conv.check('dev-x', 'v1'), 'v2', 'sent again later');
    assert.equal(await conv.check('dev-x', 'v2'), null, 'already live');
    assert.equal(await conv.check('dev-off', 'v1'), null, 'disabled');
    assert.equal(await conv.check('nope', 'v1'), null, 'unknown');

    const at = clock.now();
    await app.ctx.store.rollouts.create(
      {
        ...{ id: 'ro-1', version: 'v2', parentVersion: 'v1', line: 'line-1', policy: { ...DEFAULT_POLICY } },
        ...{ state: 'running', phase: 'canary', wave: 0, waves: 1, waveStartedAt: null, waveLiveAt: null },
        ...{ baseline: null, reason: null, createdBy: 'test', createdAt: at, updatedAt: at, endedAt: null },
      },
      [],
      { at, actor: 'test', action: 'created', reason: 'test', details: null },
    );
    assert.equal(await conv.check('dev-y', 'v1'), null, 'a rollout is moving the line');
    assert.equal(published.length, 2);
  } finally {
    await app.close();
  }
});
