/**
 * Worker thread that owns one onnxruntime session (see runner.ts for why) and preprocesses the frames it runs.
 * Messages are handled in arrival order, so runs execute in the order the main thread submitted them.
 * Pixel buffers arrive transferred and go back transferred with the outputs: nothing is copied either way.
 */
import { parentPort } from 'node:worker_threads';
import { float32, InferenceSession, isInferenceError } from '@linewatch/inference';
import type { ExecutionProvider } from '@linewatch/protocol';
import { reasonOf } from '../errors.js';
import { FrameTensor, INPUT_NAME, MAP_OUTPUT, SCORE_OUTPUT, sessionOptions } from './runner.js';
import type { SessionOpenOptions } from './runner.js';

export type WorkerRequest =
  | { op: 'open'; model: Uint8Array; options: SessionOpenOptions }
  | { op: 'run'; id: number; pixels: Uint8Array; width: number; height: number }
  | { op: 'release' };

export type WorkerReply =
  | { op: 'opened'; provider: ExecutionProvider; attempts: unknown[]; inputs: unknown[]; outputNames: string[] }
  | { op: 'open-failed'; code?: string; message: string; details?: Record<string, unknown> }
  | {
      op: 'result';
      id: number;
      pixels: Uint8Array;
      map: Float32Array;
      mapDims: number[];
      score: number;
      preMs: number;
      runMs: number;
    }
  | { op: 'run-failed'; id: number; pixels: Uint8Array; message: string }
  | { op: 'released' };

const port = parentPort!;
let session: InferenceSession | undefined;
let tensor: FrameTensor | undefined;

/** An output's own ArrayBuffer can be transferred; a view into a larger one is copied out first. */
function transferable(a: Float32Array): Float32Array {
  return a.byteOffset === 0 && a.buffer.byteLength === a.byteLength && a.buffer instanceof ArrayBuffer ? a : a.slice();
}

// One request at a time: a run's `await` must not let the next message refill the shared input tensor before
// onnxruntime has read it (session.run defers its work), and replies must keep the request order.
let queue: Promise<void> = Promise.resolve();
port.on('message', (req: WorkerRequest) => {
  queue = queue.then(() => handle(req));
});

async function handle(req: WorkerRequest): Promise<void> {
  switch (req.op) {
    case 'open':
      try {
        tensor = new FrameTensor(req.options.preprocess);
        session = await InferenceSession.open(req.model, sessionOptions(req.options));
        port.postMessage({
          op: 'opened',
          provider: session.provider,
          attempts: [...session.attempts],
          inputs: [...session.inputs],
          outputNames: [...session.outputNames],
        } satisfies WorkerReply);
      } catch (e) {
        const reply: WorkerReply = isInferenceError(e)
          ? {
              op: 'open-failed',
              code: e.code,
              message: e.message.replace(`${e.code}: `, ''),
              details: { ...e.details },
            }
          : { op: 'open-failed', message: reasonOf(e) };
        port.postMessage(reply);
      }
      return;
    case 'run': {
      const { id, pixels } = req;
      try {
        if (!session || !tensor) throw new Error('no session open in the inference worker');
        const t0 = performance.now();
        const input = tensor.fill(req);
        const t1 = performance.now();
        const out = await session.run({ [INPUT_NAME]: float32(input, tensor.dims) }, [MAP_OUTPUT, SCORE_OUTPUT]);
        const runMs = performance.now() - t1;
        const map = transferable(out[MAP_OUTPUT]!.data as Float32Array);
        const score = Number((out[SCORE_OUTPUT]!.data as Float32Array)[0]);
        port.postMessage(
          {
            op: 'result',
            id,
            pixels,
            map,
            mapDims: [...out[MAP_OUTPUT]!.dims],
            score,
            preMs: t1 - t0,
            runMs,
          } satisfies WorkerReply,
          [pixels.buffer as ArrayBuffer, map.buffer as ArrayBuffer],
        );
      } catch (e) {
        port.postMessage({ op: 'run-failed', id, pixels, message: reasonOf(e) } satisfies WorkerReply, [
          pixels.buffer as ArrayBuffer,
        ]);
      }
      return;
    }
    case 'release':
      await session?.release().catch(() => undefined);
      session = undefined;
      port.postMessage({ op: 'released' } satisfies WorkerReply);
      return;
  }
}
