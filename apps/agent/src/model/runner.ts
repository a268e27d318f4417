/**
 * What a LoadedModel needs from an opened model: one NCHW float32 frame tensor in, anomaly map + score out.
 *
 * onnxruntime-node's `run()` executes synchronously on the calling thread (it only defers the call with
 * setImmediate), so on the main thread every run would stall cameras, MQTT, acks and the next frame's preprocessing
 * for its whole duration. The default runner therefore owns the session in a worker thread (infer-thread.ts); the
 * in-process runner here serves tests and the benchmark's comparison.
 *
 * Input buffers move, they are not copied: a runner owns `input` from `run()` until the promise settles and then
 * hands the same memory back in the output (always — also when the run failed), so the caller can cycle a fixed set
 * of buffers without per-frame allocation.
 */
import { float32, InferenceSession } from '@linewatch/inference';
import type { ProviderAttempt, TensorSpec } from '@linewatch/inference';
import type { FloatMap } from '@linewatch/vision';
import { reasonOf } from '../errors.js';

export const INPUT_NAME = 'image';
export const MAP_OUTPUT = 'anomaly_map';
export const SCORE_OUTPUT = 'score';

export interface SessionOpenOptions {
  readonly executionProviders: readonly string[];
  readonly intraOpThreads?: number;
}

export type RunOutput =
  | { readonly ok: true; readonly input: Float32Array; readonly score: number; readonly map: FloatMap }
  | { readonly ok: false; readonly input: Float32Array; readonly reason: string; readonly cause?: unknown };

export interface ModelRunner {
  readonly provider: string;
  readonly attempts: readonly ProviderAttempt[];
  readonly inputs: readonly TensorSpec[];
  readonly outputNames: readonly string[];
  /** Runs are executed in call order. Never rejects: a failure comes back as `ok: false` with the input buffer. */
  run(input: Float32Array, dims: readonly number[]): Promise<RunOutput>;
  release(): Promise<void>;
}

export type RunnerOpener = (model: Uint8Array, options: SessionOpenOptions) => Promise<ModelRunner>;

/** Output tensors → score + map (the map is [.., H, W]; the score's first value). */
export function toOutput(input: Float32Array, map: { data: unknown; dims: readonly number[] }, score: { data: unknown }): RunOutput {
  const h = map.dims[map.dims.length - 2] ?? 1;
  const w = map.dims[map.dims.length - 1] ?? 1;
  const s = Number((score.data as Float32Array)[0]);
  return { ok: true, input, score: s, map: { width: w, height: h, data: map.data as Float32Array } };
}

export function sessionOptions(options: SessionOpenOptions): { executionProviders: readonly string[]; intraOpThreads?: number } {
  return {
    executionProviders: options.executionProviders,
    ...(options.intraOpThreads !== undefined ? { intraOpThreads: options.intraOpThreads } : {}),
  };
}

/** Wraps a session opened on this thread (runs block the event loop while they execute). */
export function inProcessRunner(session: InferenceSession): ModelRunner {
  return {
    provider: session.provider,
    attempts: session.attempts,
    inputs: session.inputs,
    outputNames: session.outputNames,
    async run(input, dims) {
      try {
        const out = await session.run({ [INPUT_NAME]: float32(input, dims) }, [MAP_OUTPUT, SCORE_OUTPUT]);
        return toOutput(input, out[MAP_OUTPUT]!, out[SCORE_OUTPUT]!);
      } catch (e) {
        return { ok: false, input, reason: reasonOf(e), cause: e };
      }
    },
    release: () => session.release(),
  };
}

export const inProcessOpener: RunnerOpener = async (model, options) => inProcessRunner(await InferenceSession.open(model, sessionOptions(options)));
