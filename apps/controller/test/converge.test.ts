/**
 * A device joining a line converges to the line's live (deployed) model: on its birth with another version the
 * controller publishes a desiredModel for the live one (rolloutId converge-<line>), as a rollback when the device is
 * ahead of it. Devices already on the live version, and devices that were not (re)born, get nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { images } from './helpers/messages.js';
import { provision } from './helpers/mqtt.js';
import { rolloutFixture } from './helpers/rollout-fixture.js';
import { SimAgent } from './helpers/sim-agent.js';

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
