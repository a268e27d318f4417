/**
 * Normal-data sampling (issue #7): unflagged frames sent as `sampled: true` events, at most one per camera per
 * `normalSampleIntervalS`, through the durable outbox. The agent's clock is injected with a skew the test advances,
 * so "one interval later" takes no real time.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { build } from '../src/agent.js';
import { parseConfig } from '../src/config.js';
import { AgentError } from '../src/errors.js';
import { aedesBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { TestController, waitFor } from './helpers/controller.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';

let fx: Fixture;
let broker: TestBroker;
before(async () => {
  fx = await fixture();
  broker = await aedesBroker();
  await broker.start();
});
after(async () => {
  await broker.stop();
  fx.cleanup();
});

const NEVER = 1e9; // a threshold no score exceeds: every frame is unflagged
const cam = (id: string, threshold: number) => ({
  id,
  threshold,
  source: { kind: 'synthetic', width: 32, height: 32, fps: 20, seed: id },
});

/** Waits until every camera has scored `n` more frames than it had when called. */
async function moreFrames(agent: Awaited<ReturnType<typeof build>>, n: number): Promise<void> {
  const cams = [...agent.pipeline.cameras.values()];
  const base = cams.map((c) => c.scored);
  await waitFor(`${n} more frames per camera`, () => cams.every((c, i) => c.scored >= base[i]! + n), 8000);
}

test('normalSampleIntervalS: integer seconds, default 300, 0 = off', () => {
  const base = { site: 's', line: 'l', device: 'd', model: { trustedKeyPath: '/k.pem' } };
  assert.equal(parseConfig(base).normalSampleIntervalS, 300);
  assert.equal(parseConfig({ ...base, normalSampleIntervalS: 0 }).normalSampleIntervalS, 0);
  for (const bad of [-1, 1.5, '60']) {
    assert.throws(
      () => parseConfig({ ...base, normalSampleIntervalS: bad }),
      (e: unknown) =>
        e instanceof AgentError && e.code === 'LW_AGENT_CONFIG_INVALID' && e.message.includes('normalSampleIntervalS'),
    );
  }
});

test('unflagged frames are sampled at most once per interval per camera, marked sampled, acked and removed', async () => {
  let skew = 0;
  const ctrl = new TestController(broker.url, { site: 'plant-1', line: 'line-a', device: 'edge-1' });
  await ctrl.start();
  const agent = await build({
    config: fx.config({
      dataDir: `${fx.dir}/sampled`,
      normalSampleIntervalS: 60,
      broker: { url: broker.url },
      cameras: [cam('cam-1', NEVER), cam('cam-2', NEVER)],
    }),
    now: () => Date.now() + skew,
  });
  agent.start();
  try {
    await moreFrames(agent, 5);
    assert.equal(ctrl.events.size, 0, 'nothing sampled before one interval has passed');
    for (let round = 1; round <= 2; round++) {
      skew += 61_000;
      await waitFor(`round ${round} samples`, () => ctrl.events.size >= 2 * round, 8000);
      await moreFrames(agent, 5); // plenty of further unflagged frames inside the same interval…
      assert.equal(ctrl.events.size, 2 * round, '…yet one sample per camera per interval');
      const byCam = [...ctrl.events.values()].reduce(
        (m, e) => m.set(e.camera, (m.get(e.camera) ?? 0) + 1),
        new Map<string, number>(),
      );
      assert.deepEqual([...byCam.entries()].sort(), [
        ['cam-1', round],
        ['cam-2', round],
      ]);
    }
    for (const e of ctrl.events.values()) {
      assert.equal(e.sampled, true);
      assert.ok(e.score <= e.threshold, `sampled frame scored ${e.score} > threshold ${e.threshold}`);
      assert.equal(e.jpeg[0], 0xff, 'JPEG frame');
      assert.equal(e.anomalyMap[1], 0x50, 'PNG heatmap');
    }
    const seqs = [...ctrl.events.keys()];
    assert.equal(new Set(seqs).size, 4, 'each sample takes its own seq');
    for (const c of agent.pipeline.cameras.values()) {
      assert.equal(c.sampled, 2, c.camera);
      assert.equal(c.flagged, 0, `${c.camera}: samples do not count as flagged`);
    }
    await waitFor('acked samples removed from the outbox', () => agent.outbox.depth === 0, 5000);
  } finally {
    await agent.stop();
    await ctrl.stop();
  }
});

test('interval 0 sends no samples; flagged frames never carry sampled', async () => {
  let skew = 0;
  const ctrl = new TestController(broker.url, { site: 'plant-1', line: 'line-a', device: 'edge-1' });
  await ctrl.start();
  // cam-1 never flags, cam-2 flags every frame (threshold 0); sampling is off.
  const off = await build({
    config: fx.config({
      dataDir: `${fx.dir}/off`,
      normalSampleIntervalS: 0,
      broker: { url: broker.url },
      cameras: [cam('cam-1', NEVER), cam('cam-2', 0)],
    }),
    now: () => Date.now() + skew,
  });
  off.start();
  try {
    await moreFrames(off, 3);
    skew += 1e9;
    await moreFrames(off, 5);
    await waitFor('flagged events', () => ctrl.events.size >= 3, 8000);
  } finally {
    await off.stop();
  }
  try {
    const events = [...ctrl.events.values()];
    assert.ok(
      events.every((e) => e.camera === 'cam-2' && !('sampled' in e)),
      JSON.stringify(events.map((e) => [e.camera, e.sampled])),
    );
    assert.equal(off.pipeline.cameras.get('cam-1')!.sampled, 0);

    // Sampling on, every frame flagged: the interval passes, but a flagged frame is an anomaly, never a sample.
    ctrl.events.clear();
    skew = 0;
    const on = await build({
      config: fx.config({
        dataDir: `${fx.dir}/flagged`,
        normalSampleIntervalS: 1,
        broker: { url: broker.url },
        cameras: [cam('cam-1', 0)],
      }),
      now: () => Date.now() + skew,
    });
    on.start();
    try {
      await moreFrames(on, 3);
      skew += 5_000;
      await moreFrames(on, 5);
      await waitFor('flagged events', () => ctrl.events.size >= 5, 8000);
    } finally {
      await on.stop();
    }
    const c = on.pipeline.cameras.get('cam-1')!;
    assert.equal(c.sampled, 0);
    assert.equal(c.flagged, c.scored);
    assert.ok([...ctrl.events.values()].every((e) => !('sampled' in e)));
  } finally {
    await ctrl.stop();
  }
});

test('samples stop while the outbox is half full, so they never push out a flagged event', async () => {
  let skew = 0;
  const { freePort } = await import('./helpers/brokers.js');
  const port = await freePort(); // nobody listens: nothing is acked, the outbox only fills
  const agent = await build({
    config: fx.config({
      dataDir: `${fx.dir}/sample-budget`,
      normalSampleIntervalS: 1,
      broker: { url: `mqtt://127.0.0.1:${port}`, reconnectMs: 200 },
      outbox: { maxBytes: 6000, policy: 'drop-oldest' },
      cameras: [cam('cam-1', NEVER)],
    }),
    now: () => Date.now() + skew,
  });
  agent.start();
  try {
    const c = agent.pipeline.cameras.get('cam-1')!;
    for (let round = 0; round < 12; round++) {
      skew += 1100;
      await moreFrames(agent, 2);
    }
    assert.ok(c.sampled >= 1, 'sampling ran');
    assert.ok(agent.outbox.stats.bytes >= 3000, `stopped only at half the budget (${agent.outbox.stats.bytes} bytes)`);
    assert.ok(c.sampled < 12, `stopped before every interval was used (${c.sampled})`);
    const before = c.sampled;
    skew += 5000;
    await moreFrames(agent, 3);
    assert.equal(c.sampled, before, 'no more samples while the outbox is half full');
    assert.equal(agent.outbox.stats.dropped, 0, 'nothing was evicted for a sample');
  } finally {
    await agent.stop();
  }
});
