/**
 * Score sketch windows (issue #20, calibration): every scored frame lands in exactly one published window, a model
 * swap closes a window, an unpublishable window keeps growing, and a threshold revision from the controller is
 * the one the next windows report (the agent applies it).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sketchOf } from '@linewatch/protocol';
import type { ScoreSketchMessage } from '@linewatch/protocol';
import { build } from '../src/agent.js';
import { parseConfig } from '../src/config.js';
import { FrameStats } from '../src/frame-stats.js';
import { SketchWindows } from '../src/sketches.js';
import { createImage } from '@linewatch/vision';
import { aedesBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { TestController, waitFor } from './helpers/controller.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';

const total = (ms: readonly ScoreSketchMessage[]): number => ms.reduce((n, m) => n + sketchOf(m.sketch).total, 0);

test('SketchWindows: counts every frame once, closes on a model swap or new threshold, keeps a window it could not publish', () => {
  const sent: ScoreSketchMessage[] = [];
  let up = false;
  const w = new SketchWindows(['cam-1', 'cam-2'], (_c, m) => (up ? (sent.push(m), true) : false));
  for (let i = 0; i < 10; i++) w.add('cam-1', 0.1 * (i + 1), 0.55, 'v1', 1000 + i * 100);
  w.add('cam-9', 1, 1, 'v1', 1000); // unknown camera: ignored
  w.flush(); // link down: nothing lost, the window keeps growing
  assert.equal(sent.length, 0);
  assert.equal(w.frames('cam-1'), 10);
  up = true;
  w.add('cam-1', 2, 0.55, 'v2', 3000); // swap: the v1 window closes first
  assert.equal(sent.length, 1);
  assert.deepEqual(
    { ...sent[0]!, sketch: undefined },
    {
      camera: 'cam-1',
      modelVersion: 'v1',
      start: 1000,
      durationMs: 900,
      threshold: 0.55,
      flagged: 5,
      sketch: undefined,
    },
  );
  assert.equal(sketchOf(sent[0]!.sketch).total, 10);
  w.add('cam-1', 0.7, 0.5, 'v2', 3100); // a new threshold closes the window too
  assert.equal(sent.length, 2);
  assert.deepEqual([sent[1]!.modelVersion, sent[1]!.threshold, sent[1]!.flagged], ['v2', 0.55, 1]);
  w.flush();
  assert.equal(sent.length, 3, 'cam-2 has no frames: no message');
  assert.deepEqual([sent[2]!.threshold, sent[2]!.flagged, sketchOf(sent[2]!.sketch).total], [0.5, 1, 1]);
  assert.equal(w.frames('cam-1'), 0);
});

test('FrameStats: frozen, black and over-exposed frames from an 8×8 grid; the window sends them', () => {
  const f = new FrameStats();
  const grey = createImage(64, 48, [120, 120, 120]);
  const other = createImage(64, 48, [140, 120, 120]);
  f.add(grey);
  f.add(grey); // identical grid: frozen
  f.add(other); // a changed picture: not frozen
  f.add(createImage(64, 48, [5, 5, 5])); // black
  f.add(createImage(64, 48, [255, 255, 255])); // saturated
  const s = f.take();
  assert.ok(s);
  assert.equal(s.dark, 1);
  assert.equal(s.saturated, 1);
  assert.equal(s.frozen, 1);
  assert.ok(Math.abs(s.lumaMean - (120 * 2 + 126 + 5 + 255) / 5) < 1, `luma ${s.lumaMean}`);
  assert.equal(f.take(), undefined, 'a fresh window');
  // A sketch window carries the frame statistics of its frames.
  const sent: ScoreSketchMessage[] = [];
  const w = new SketchWindows(['cam-1'], (_c, m) => (sent.push(m), true));
  for (let i = 0; i < 4; i++) w.add('cam-1', 0.1, 1, 'v1', 1000 + i, createImage(16, 16, [0, 0, 0]));
  w.flush();
  assert.deepEqual(sent[0]!.frames, { frozen: 3, dark: 4, saturated: 0, lumaMean: 0 });
});

test('sketchIntervalS: default 60 s, bounded', () => {
  const base = { site: 's', line: 'l', device: 'd', model: { trustedKeyPath: '/k.pem' } };
  assert.equal(parseConfig(base).sketchIntervalS, 60);
  assert.throws(() => parseConfig({ ...base, sketchIntervalS: 0 }));
});

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

test('a running agent reports every scored frame in sketches, and the windows follow a threshold revision', async () => {
  const ctrl = new TestController(broker.url, { site: 'plant-1', line: 'line-a', device: 'edge-1' });
  await ctrl.start();
  const agent = await build({
    config: fx.config({
      dataDir: `${fx.dir}/sketch`,
      sketchIntervalS: 0.3,
      normalSampleIntervalS: 0,
      broker: { url: broker.url },
      cameras: [{ id: 'cam-1', threshold: 1e9, source: { kind: 'synthetic', width: 32, height: 32, fps: 20 } }],
    }),
  });
  agent.start();
  const cam = agent.pipeline.cameras.get('cam-1')!;
  try {
    await waitFor('two sketch windows', () => ctrl.sketches.length >= 2, 10_000);
    assert.ok(ctrl.sketches.every((s) => s.threshold === 1e9 && s.flagged === 0 && s.modelVersion === '1.0.0+1'));
    ctrl.sendThreshold({ camera: 'cam-1', threshold: 0, revision: 1, ts: Date.now() });
    await waitFor('a window judged by the new threshold', () => ctrl.sketches.some((s) => s.threshold === 0), 10_000);
    const after0 = ctrl.sketches.filter((s) => s.threshold === 0);
    assert.ok(after0.every((s) => s.flagged === sketchOf(s.sketch).total - sketchOf(s.sketch).zero));
  } finally {
    await agent.stop();
    const scored = cam.scored;
    await waitFor('every scored frame in a sketch', () => total(ctrl.sketches) === scored, 5000).catch(() => {
      assert.equal(total(ctrl.sketches), scored, 'sketch totals = frames scored');
    });
    await ctrl.stop();
  }
});
