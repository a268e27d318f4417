/** A loopback RTSP camera streamed into the running agent: frames scored and flagged, the event carries the frame. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { build } from '../src/agent.js';
import { aedesBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { TestController, waitFor } from './helpers/controller.js';
import { hasFfmpeg, makeClip, rtspCamera } from '@linewatch/testing/rtsp';
import type { RtspCamera } from '@linewatch/testing/rtsp';

let fx: Fixture;
let broker: TestBroker;
let cam: RtspCamera | undefined;
before(async () => {
  fx = await fixture();
  broker = await aedesBroker();
  await broker.start();
  if (hasFfmpeg) cam = await rtspCamera(makeClip(fx.dir, 160, 120));
});
after(async () => {
  await cam?.stop();
  await broker.stop();
  fx.cleanup();
});

test(
  'the agent scores an RTSP camera and sends its flagged frames',
  { skip: !hasFfmpeg && 'ffmpeg not installed', timeout: 60_000 },
  async () => {
    const address = { site: 'plant-1', line: 'line-a', device: 'edge-rtsp' };
    const ctrl = new TestController(broker.url, address);
    await ctrl.start();
    const agent = await build({
      config: fx.config({
        device: address.device,
        broker: { url: broker.url },
        cameras: [
          { id: 'rtsp-1', threshold: 0, source: { kind: 'rtsp', url: cam!.url, width: 64, height: 48, fps: 5 } },
        ],
      }),
    });
    agent.start();
    try {
      await waitFor(
        'scores and an event from the RTSP camera',
        () => ctrl.scores.length >= 3 && ctrl.events.size >= 1,
        30_000,
      );
      const ev = [...ctrl.events.values()][0]!;
      assert.equal(ev.camera, 'rtsp-1');
      assert.deepEqual([...ev.jpeg.subarray(0, 2)], [0xff, 0xd8]);
      assert.equal(agent.problems.has('rtsp-1'), false);
    } finally {
      await agent.stop();
      await ctrl.stop();
    }
  },
);
