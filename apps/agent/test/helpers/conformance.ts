/**
 * One conformance suite, run against every broker we support (aedes in-process, Debian mosquitto): lifecycle
 * (birth, retained status, will on a dropped link, bdSeq per connect attempt), thresholds, and a broker outage with
 * every frame flagged — after recovery the controller must hold every event exactly once after dedup, in per-camera
 * order. The outage lasts LW_AGENT_OUTAGE_S seconds (default 8; the full scenario is 60).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { build } from '../../src/agent.js';
import type { TestBroker } from './brokers.js';
import { fixture, outageSeconds } from './config-fixture.js';
import type { Fixture } from './config-fixture.js';
import { TestController, waitFor } from './controller.js';
import { tcpGate } from './gate.js';

const address = { site: 'plant-1', line: 'line-a', device: 'edge-1' };

export function conformanceSuite(makeBroker: () => Promise<TestBroker>): void {
  let fx: Fixture;
  let broker: TestBroker;
  before(async () => {
    fx = await fixture();
    broker = await makeBroker();
    await broker.start();
  });
  after(async () => {
    await broker.stop();
    await broker.stop();
    fx.cleanup();
  });

  const cams = (fps: number, threshold?: number) =>
    ['cam-1', 'cam-2'].map((id) => ({
      id,
      ...(threshold !== undefined ? { threshold } : {}),
      source: { kind: 'synthetic', width: 48, height: 48, fps, distinctFrames: 4 },
    }));

  test('lifecycle: birth + retained status on connect, will on a dropped link, new bdSeq per connect attempt', async () => {
    const ctrl = new TestController(broker.url, address);
    await ctrl.start();
    const agent = await build({
      config: fx.config({
        dataDir: `${fx.dir}/life`,
        broker: { url: broker.url, reconnectMs: 200, keepaliveS: 5 },
        cameras: cams(2, 1e6),
      }),
    });
    agent.start();
    try {
      await waitFor('birth', () => ctrl.births === 1 && ctrl.statuses.length >= 1, 5000);
      const bd1 = agent.link.currentBdSeq;
      assert.equal(ctrl.statuses[0]!.bdSeq, bd1);
      assert.equal(ctrl.statuses[0]!.state, 'running');
      agent.link.dropConnection();
      await waitFor('will + rebirth', () => ctrl.deaths >= 1 && ctrl.births >= 2, 8000);
      assert.ok(agent.link.currentBdSeq !== bd1, 'each connect attempt carries a new bdSeq');
    } finally {
      await agent.stop();
      await ctrl.stop();
    }
  });

  test('thresholds from the controller apply per camera; lower revisions are ignored; empty payload clears', async () => {
    const ctrl = new TestController(broker.url, address);
    await ctrl.start();
    const agent = await build({
      config: fx.config({ dataDir: `${fx.dir}/thr`, broker: { url: broker.url }, cameras: cams(2) }),
    });
    agent.start();
    try {
      await waitFor('birth', () => ctrl.births >= 1, 5000);
      assert.equal(agent.pipeline.threshold('cam-1'), 0.5, 'manifest default');
      ctrl.sendThreshold({ camera: 'cam-1', threshold: 0.9, revision: 5, ts: Date.now() });
      await waitFor('threshold applied', () => agent.pipeline.threshold('cam-1') === 0.9, 3000);
      ctrl.sendThreshold({ camera: 'cam-1', threshold: 0.1, revision: 4, ts: Date.now() });
      ctrl.sendThreshold({ camera: 'cam-2', threshold: 0.2, revision: 1, modelVersion: 'other-model', ts: Date.now() });
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(agent.pipeline.threshold('cam-1'), 0.9, 'stale revision ignored');
      assert.equal(
        agent.pipeline.threshold('cam-2'),
        0.5,
        'threshold for another model version falls back to the manifest',
      );
      ctrl.clearThreshold('cam-1');
      await waitFor('override cleared', () => agent.pipeline.threshold('cam-1') === 0.5, 3000);
    } finally {
      await agent.stop();
      await ctrl.stop();
    }
  });

  test(
    `broker outage (${outageSeconds()} s) with every frame flagged at 10 fps on 2 cameras: every event exactly once after dedup, in per-camera order`,
    { timeout: 60_000 + outageSeconds() * 2000 },
    async () => {
      const ctrl = new TestController(broker.url, address);
      await ctrl.start();
      const gate = await tcpGate(broker.url); // the agent reaches the broker through it (see gate.ts)
      const agent = await build({
        config: fx.config({
          dataDir: `${fx.dir}/outage`,
          broker: { url: gate.url, reconnectMs: 250, connectTimeoutMs: 1000 },
          outbox: { resendAfterMs: 1500, maxInFlight: 50 },
          cameras: cams(10, 0),
        }),
      });
      agent.start();
      try {
        await waitFor('first events', () => ctrl.events.size >= 10, 8000);
        gate.shut();
        await broker.stop();
        const t0 = Date.now();
        await new Promise((r) => setTimeout(r, outageSeconds() * 1000));
        const backlog = agent.outbox.depth;
        assert.ok(backlog >= outageSeconds() * 10, `outbox held ${backlog} events during the outage`);
        await broker.start();
        await ctrl.subscribed();
        gate.open();
        await new Promise((r) => setTimeout(r, 1000)); // keep flagging after recovery too
        await agent.stop(); // flushes every encoded event into the outbox; nothing more is flagged
        const flagged = [...agent.pipeline.cameras.values()].reduce((a, c) => a + c.flagged, 0);
        // The stopped agent's outbox still holds what was unacked: a fresh agent on the same data dir redelivers it.
        const again = await build({
          config: fx.config({
            dataDir: `${fx.dir}/outage`,
            broker: { url: gate.url, reconnectMs: 250 },
            outbox: { resendAfterMs: 1500 },
            cameras: cams(1, 1e6),
          }),
        });
        again.start();
        try {
          await waitFor(
            'all events delivered and acked',
            () => ctrl.events.size >= flagged && again.outbox.depth === 0,
            30_000,
          );
        } finally {
          await again.stop();
        }
        const seqs = [...ctrl.events.keys()].sort((a, b) => a - b);
        assert.equal(seqs.length, flagged, `controller holds ${seqs.length} distinct events, agent flagged ${flagged}`);
        assert.equal(seqs.at(-1)! - seqs[0]! + 1, flagged, 'no gaps in the sequence');
        for (const cam of ['cam-1', 'cam-2']) {
          const order = ctrl.arrival.filter((a) => a.camera === cam).map((a) => a.seq);
          assert.deepEqual(
            order,
            [...order].sort((a, b) => a - b),
            `${cam} events arrived in order`,
          );
        }
        process.stderr.write(
          `[conformance] outage ${((Date.now() - t0) / 1000).toFixed(1)} s: ${flagged} events, ${ctrl.duplicates} duplicates deduped, backlog ${backlog}\n`,
        );
      } finally {
        await agent.stop();
        await ctrl.stop();
        await gate.close();
      }
    },
  );
}
