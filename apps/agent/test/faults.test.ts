/** Faults the agent must survive with a clear report: full outbox, failing disk, corrupt frames, dying camera. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RgbImage } from '@linewatch/vision';
import { build } from '../src/agent.js';
import { realOutboxFs } from '../src/outbox.js';
import type { FrameSink, FrameSource } from '../src/sources/frame.js';
import { aedesBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { TestController, waitFor } from './helpers/controller.js';

const address = { site: 'plant-1', line: 'line-a', device: 'edge-1' };
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

const flagAll = [
  { id: 'cam-1', threshold: 0, source: { kind: 'synthetic', width: 48, height: 48, fps: 10, distinctFrames: 4 } },
];

test('outbox byte budget reached: drops are counted and reported in the retained status; the agent keeps running', async () => {
  const ctrl = new TestController(broker.url, address);
  ctrl.ackEnabled = false;
  await ctrl.start();
  const agent = await build({
    config: fx.config({
      dataDir: `${fx.dir}/full`,
      broker: { url: broker.url },
      outbox: { maxBytes: 20_000, policy: 'drop-oldest' },
      cameras: flagAll,
    }),
  });
  agent.start();
  try {
    await waitFor(
      'drops reported',
      () => ctrl.statuses.some((s) => s.state === 'degraded' && /LW_AGENT_OUTBOX_FULL/.test(s.note ?? '')),
      8000,
    );
    assert.ok(agent.outbox.stats.dropped > 0);
    assert.ok(agent.outbox.stats.bytes <= 20_000);
    assert.match(ctrl.statuses.at(-1)!.note!, /outbox dropped \d+ events \(policy drop-oldest\)/);
    const scored = agent.pipeline.cameras.get('cam-1')!.scored;
    await waitFor('still scoring', () => agent.pipeline.cameras.get('cam-1')!.scored > scored + 3, 3000);
  } finally {
    await agent.stop();
    await ctrl.stop();
  }
});

test('disk failure (ENOSPC) while writing the outbox: reported, no crash, events still delivered from memory', async () => {
  const ctrl = new TestController(broker.url, address);
  await ctrl.start();
  const enospc = {
    async writeDurable() {
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    },
    unlink: realOutboxFs.unlink,
  };
  const agent = await build({
    config: fx.config({ dataDir: `${fx.dir}/enospc`, broker: { url: broker.url }, cameras: flagAll }),
    outboxFs: enospc,
  });
  agent.start();
  try {
    await waitFor(
      'report + delivery',
      () => ctrl.events.size >= 5 && ctrl.statuses.some((s) => /LW_AGENT_OUTBOX_DISK/.test(s.note ?? '')),
      8000,
    );
    assert.ok(agent.outbox.stats.diskErrors >= 5);
    assert.equal(agent.problems.get('outbox')?.code, 'LW_AGENT_OUTBOX_DISK');
  } finally {
    await agent.stop();
    await ctrl.stop();
  }
});

/** A camera that sends malformed frames among good ones, then dies. */
class FlakyCamera implements FrameSource {
  readonly camera = 'cam-1';
  readonly width = 16;
  readonly height = 16;
  readonly fps = 20;
  private timer: NodeJS.Timeout | undefined;
  start(sink: FrameSink): void {
    let n = 0;
    this.timer = setInterval(() => {
      n++;
      if (n > 30) {
        if (n === 31) sink.problem('LW_AGENT_SOURCE_FAILED', 'camera unplugged');
        return;
      }
      const good: RgbImage = { width: 16, height: 16, channels: 3, data: new Uint8Array(16 * 16 * 3).fill(n) };
      sink.frame(n % 3 === 0 ? { ...good, data: good.data.subarray(0, 100) } : good);
    }, 20);
  }
  async stop(): Promise<void> {
    clearInterval(this.timer);
  }
}

test('corrupt frames are skipped and counted; a dead camera degrades the status with its code; health reports it', async () => {
  const ctrl = new TestController(broker.url, address);
  await ctrl.start();
  const agent = await build({
    config: fx.config({ dataDir: `${fx.dir}/flaky`, broker: { url: broker.url }, healthIntervalS: 0.5 }),
    sourceFactory: () => new FlakyCamera(),
  });
  agent.start();
  try {
    await waitFor(
      'degraded status',
      () => ctrl.statuses.some((s) => s.state === 'degraded' && /cam-1: LW_AGENT_SOURCE_FAILED/.test(s.note ?? '')),
      8000,
    );
    const cam = agent.pipeline.cameras.get('cam-1')!;
    assert.equal(cam.invalid, 10, 'every third of 30 frames was malformed');
    assert.equal(cam.scored + cam.invalid + cam.slot.dropped, 30);
    await waitFor('health', () => ctrl.health.some((h) => h.cameras[0]!.framesDropped >= 10), 3000);
  } finally {
    await agent.stop();
    await ctrl.stop();
  }
});

test('broker unreachable from the start: inference and the outbox keep working, stop() still returns', async () => {
  const { freePort } = await import('./helpers/brokers.js');
  const port = await freePort();
  const agent = await build({
    config: fx.config({
      dataDir: `${fx.dir}/nobroker`,
      broker: { url: `mqtt://127.0.0.1:${port}`, reconnectMs: 200 },
      cameras: flagAll,
    }),
  });
  agent.start();
  await waitFor('events stored while offline', () => agent.outbox.depth >= 5, 8000);
  assert.equal(agent.link.connected, false);
  const t0 = Date.now();
  await agent.stop();
  assert.ok(Date.now() - t0 < 5000, 'stop does not hang on a never-connected client');
  assert.ok(agent.outbox.depth >= 5, 'events remain on disk for the next start');
});
