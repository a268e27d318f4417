/**
 * What a LoadedModel needs from an opened model: a camera frame in (8-bit RGB), anomaly map + score out. The runner
 * turns the frame into the model's input tensor itself (recipe from the manifest, given at open), where it runs: in a
 * pool of worker threads that is where the CPU time is, so preprocessing is spread over the sessions instead of
 * queueing on the agent's main thread.
 *
 * onnxruntime-node's `run()` executes synchronously on the calling thread (it only defers the call with
 * setImmediate), so on the main thread every run would stall cameras, MQTT, acks and the next frame's preprocessing
 * for its whole duration. The default runner therefore owns the session in a worker thread (infer-thread.ts); the
 * in-process runner here serves tests and the benchmark's comparison.
 *
 * Pixel buffers move, they are not copied: a runner owns `frame.pixels` from `run()` until the promise settles and
 * then hands the same memory back in the output (always — also when the run failed), so the caller can cycle a fixed
 * set of buffers without per-frame allocation.
 */
import { float32, InferenceSession } from '@linewatch/inference';
import type { ProviderAttempt, SessionOptions, TensorSpec } from '@linewatch/inference';
import type { ExecutionProvider } from '@linewatch/protocol';
import { preprocessInto, preprocessShape } from '@linewatch/vision';
import type { FloatMap, PreprocessSettings } from '@linewatch/vision';
import { reasonOf } from '../errors.js';

export const INPUT_NAME = 'image';
export const MAP_OUTPUT = 'anomaly_map';
export const SCORE_OUTPUT = 'score';

export interface SessionOpenOptions {
  readonly executionProviders: readonly ExecutionProvider[];
  readonly intraOpThreads?: number;
  /** GPU ordinal and TensorRT options, passed to @linewatch/inference as they are. */
  readonly deviceId?: number;
  readonly tensorrt?: { readonly engineCacheDir?: string; readonly fp16?: boolean };
  /** Frame → input tensor recipe (from the manifest). */
  readonly preprocess: PreprocessSettings;
}

/** One frame for a run: interleaved RGB in the first width·height·3 bytes of `pixels` (which may be longer). */
export interface FrameInput {
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Where a run's time went, measured where it ran: preprocessing and `session.run` (for latency breakdowns). */
export interface RunTiming {
  readonly preMs: number;
  readonly runMs: number;
}

export type RunOutput =
  | {
      readonly ok: true;
      readonly pixels: Uint8Array;
      readonly score: number;
      readonly map: FloatMap;
      readonly timing?: RunTiming;
    }
  | { readonly ok: false; readonly pixels: Uint8Array; readonly reason: string; readonly cause?: unknown };

export interface ModelRunner {
  readonly provider: ExecutionProvider;
  readonly attempts: readonly ProviderAttempt[];
  readonly inputs: readonly TensorSpec[];
  readonly outputNames: readonly string[];
  /** Runs it can execute at once (a pool of sessions); 1 when absent. */
  readonly parallelism?: number;
  /** Set once the runner can never run again (its worker died), with the reason. */
  readonly dead?: string | undefined;
  /** Runs start in call order (one session: finish in it too). Never rejects: a failure comes back as `ok: false` with the pixels. */
  run(frame: FrameInput): Promise<RunOutput>;
  release(): Promise<void>;
}

export type RunnerOpener = (model: Uint8Array, options: SessionOpenOptions) => Promise<ModelRunner>;

/** Output tensors → score + map (the map is [.., H, W]; the score's first value). */
export function toOutput(
  pixels: Uint8Array,
  map: { data: unknown; dims: readonly number[] },
  score: { data: unknown },
): RunOutput {
  const h = map.dims[map.dims.length - 2] ?? 1;
  const w = map.dims[map.dims.length - 1] ?? 1;
  const s = Number((score.data as Float32Array)[0]);
  return { ok: true, pixels, score: s, map: { width: w, height: h, data: map.data as Float32Array } };
}

export function sessionOptions(options: SessionOpenOptions): SessionOptions {
  return {
    executionProviders: options.executionProviders,
    ...(options.intraOpThreads !== undefined ? { intraOpThreads: options.intraOpThreads } : {}),
    ...(options.deviceId !== undefined ? { deviceId: options.deviceId } : {}),
    ...(options.tensorrt ? { tensorrt: options.tensorrt } : {}),
  };
}

/**
 * Frame → input tensor, for a runner that owns one session: one input buffer, reused for every run (runs on one
 * session never overlap).
 */
export class FrameTensor {
  readonly dims: readonly number[];
  private readonly data: Float32Array;

  constructor(private readonly settings: PreprocessSettings) {
    this.dims = preprocessShape(settings);
    this.data = new Float32Array(this.dims.reduce((a, b) => a * b, 1));
  }

  /** Throws (a VisionError) on a frame whose pixels do not fit its size. */
  fill(frame: FrameInput): Float32Array {
    const bytes = frame.width * frame.height * 3;
    if (!(bytes > 0) || frame.pixels.length < bytes)
      throw new Error(`frame has ${frame.pixels.length} bytes for ${frame.width}x${frame.height}`);
    return preprocessInto(
      this.data,
      { width: frame.width, height: frame.height, channels: 3, data: frame.pixels.subarray(0, bytes) },
      this.settings,
    );
  }
}

/** Wraps a session opened on this thread (runs and preprocessing block the event loop while they execute). */
export function inProcessRunner(session: InferenceSession, settings: PreprocessSettings): ModelRunner {
  const tensor = new FrameTensor(settings);
  // Runs one after another: the shared input tensor is refilled only once the previous run has read it.
  let last: Promise<unknown> = Promise.resolve();
  const runOne = async (frame: FrameInput): Promise<RunOutput> => {
    try {
      const out = await session.run({ [INPUT_NAME]: float32(tensor.fill(frame), tensor.dims) }, [
        MAP_OUTPUT,
        SCORE_OUTPUT,
      ]);
      return toOutput(frame.pixels, out[MAP_OUTPUT]!, out[SCORE_OUTPUT]!);
    } catch (e) {
      return { ok: false, pixels: frame.pixels, reason: reasonOf(e), cause: e };
    }
  };
  return {
    provider: session.provider,
    attempts: session.attempts,
    inputs: session.inputs,
    outputNames: session.outputNames,
    run(frame) {
      const result = last.then(() => runOne(frame));
      last = result;
      return result;
    },
    release: () => session.release(),
  };
}

export const inProcessOpener: RunnerOpener = async (model, options) =>
  inProcessRunner(await InferenceSession.open(model, sessionOptions(options)), options.preprocess);
