/** The real agent's LinePort and the in-memory one pass the same conformance suite. */
import type { VerdictMessage } from '@linewatch/protocol';
import { createImage } from '@linewatch/vision';
import { AgentLinePort } from '../src/line/agent-port.js';
import { MemoryLinePort, makeVerdict } from '../src/line/memory-port.js';
import type { CaptureTag, Frame, FrameSource } from '../src/sources/frame.js';
import { TriggerSource } from '../src/sources/trigger.js';
import { linePortConformance } from './helpers/line-port-conformance.js';
import { ScriptedSource } from './helpers/scripted-source.js';

const FREE = 'cam-1';
const TRIGGER = 'gate';
const image = createImage(4, 4, [128, 128, 128]);

function frameOf(camera: string, index: number, capture?: CaptureTag): Frame {
  return { camera, index, ts: Date.now(), t0: performance.now(), image, ...(capture ? { capture } : {}) };
}

linePortConformance('MemoryLinePort', async () => {
  let capture = { score: 0, threshold: 1 };
  const port = new MemoryLinePort({
    cameras: [
      { id: FREE, trigger: false, online: true },
      { id: TRIGGER, trigger: true, online: true },
    ],
    modelVersion: '1.0.0+1',
  });
  port.onCapture(async (req): Promise<VerdictMessage> => {
    if (req.camera !== TRIGGER) throw new Error('unreachable in the suite');
    return makeVerdict({ camera: req.camera, ...(req.partId ? { partId: req.partId } : {}), ...capture });
  });
  return {
    port,
    freeCamera: FREE,
    triggerCamera: TRIGGER,
    produce: (frame, score, threshold) => port.push(makeVerdict({ camera: FREE, frame, score, threshold })),
    scoreCapturesAs: (score, threshold) => void (capture = { score, threshold }),
    close: async () => undefined,
  };
});

linePortConformance('AgentLinePort', async () => {
  let capture = { score: 0, threshold: 1 };
  const free: FrameSource = new ScriptedSource(FREE, [128]);
  const trigger = new TriggerSource({
    camera: TRIGGER,
    inner: new ScriptedSource(`${TRIGGER}-inner`, [128], 200),
    timeoutMs: 5000,
    maxQueued: 4,
  });
  const port: AgentLinePort = new AgentLinePort({
    sources: new Map([
      [FREE, free],
      [TRIGGER, trigger],
    ]),
    dropped: () => 0,
    online: () => true,
    modelVersion: () => '1.0.0+1',
  });
  let index = 0;
  // What the pipeline does with a captured frame: score it, and hand the port the result.
  trigger.start({
    frame: () => undefined,
    captured: (_img, tag) => {
      const frame = frameOf(TRIGGER, index++, tag);
      setImmediate(() => port.scored({ camera: TRIGGER, frame, ...capture, modelVersion: '1.0.0+1', latencyMs: 1 }));
      return true;
    },
    problem: () => undefined,
    recovered: () => undefined,
  });
  return {
    port,
    freeCamera: FREE,
    triggerCamera: TRIGGER,
    produce: (frame, score, threshold) =>
      void port.scored({
        camera: FREE,
        frame: frameOf(FREE, frame),
        score,
        threshold,
        modelVersion: '1.0.0+1',
        latencyMs: 1,
      }),
    scoreCapturesAs: (score, threshold) => void (capture = { score, threshold }),
    close: async () => {
      port.close();
      await trigger.stop();
    },
  };
});
