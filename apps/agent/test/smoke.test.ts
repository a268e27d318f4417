import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { build } from '../src/agent.js';
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

test('agent publishes birth, status, scores, health and flagged events, and clears acked events', async () => {
  const ctrl = new TestController(broker.url, { site: 'plant-1', line: 'line-a', device: 'edge-1' });
  await ctrl.start();
  const agent = await build({
    config: fx.config({
      broker: { url: broker.url },
      cameras: [{ id: 'cam-1', threshold: 0, source: { kind: 'synthetic', width: 64, height: 64, fps: 10 } }],
    }),
  });
  agent.start();
  try {
    await waitFor('events', () => ctrl.events.size >= 5 && ctrl.health.length >= 1, 8000).catch((e: unknown) => {
      console.log({
        ev: ctrl.events.size,
        h: ctrl.health.length,
        s: ctrl.scores.length,
        b: ctrl.births,
        st: ctrl.statuses,
        ob: agent.outbox.stats,
        cams: [...agent.pipeline.cameras.values()].map((c) => ({ s: c.scored, f: c.flagged, d: c.slot.dropped })),
      });
      throw e;
    });
    assert.equal(ctrl.births, 1);
    assert.equal(ctrl.statuses[0]?.state, 'running');
    assert.equal(ctrl.statuses[0]?.modelVersion, '1.0.0+1');
    assert.ok(ctrl.scores.length >= 5);
    const ev = [...ctrl.events.values()][0]!;
    assert.equal(ev.camera, 'cam-1');
    assert.equal(ev.jpeg[0], 0xff);
    assert.equal(ev.modelVersion, '1.0.0+1');
    assert.equal(ctrl.health[0]!.executionProvider, 'cpu');
    await waitFor('outbox drained', () => agent.outbox.depth <= 2, 5000);
    await agent.stop();
    await waitFor('death published on clean stop', () => ctrl.deaths >= 1, 3000);
  } finally {
    await agent.stop();
    await ctrl.stop();
  }
});

test('score decimation publishes every Nth frame; flagging is not decimated', async () => {
  const ctrl = new TestController(broker.url, { site: 'plant-1', line: 'line-a', device: 'edge-1' });
  await ctrl.start();
  const agent = await build({
    config: fx.config({
      dataDir: `${fx.dir}/decim`,
      scoreDecimation: 3,
      broker: { url: broker.url },
      cameras: [{ id: 'cam-1', threshold: 0, source: { kind: 'synthetic', width: 32, height: 32, fps: 20 } }],
    }),
  });
  agent.start();
  try {
    await waitFor('scores', () => ctrl.scores.length >= 5, 8000);
  } finally {
    await agent.stop();
    await ctrl.stop();
  }
  assert.ok(
    ctrl.scores.every((s) => s.frame % 3 === 0),
    JSON.stringify(ctrl.scores.map((s) => s.frame)),
  );
  const cam = agent.pipeline.cameras.get('cam-1')!;
  assert.equal(cam.flagged, cam.scored, 'every scored frame flagged at threshold 0');
});
