/**
 * A model package opened for inference: its runner (sessions in worker threads by default, see runner-pool.ts), the
 * preprocessing recipe from the manifest (applied by the runner, where the model runs), and a fixed set of pixel
 * buffers (`inputBuffers()`).
 *
 * A frame is run in two steps — `reserve()` waits for a free buffer, then `run(image)` copies the frame into it and
 * queues the run — so the pipeline can pick the newest frame only after a buffer is free. Runs on one model start in
 * submission order; `release()` waits for every reserved buffer to come back, the basis of a swap that skips no frame.
 */
import type { ExecutionProvider, Manifest } from '@linewatch/protocol';
import {
  decodeImage,
  mapContent,
  preprocessShape,
  settingsFromManifest,
  type PreprocessSettings,
} from '@linewatch/vision';
import type { FloatMap, RgbImage } from '@linewatch/vision';
import { AgentError } from '../errors.js';
import { threadedOpener } from './infer-thread.js';
import { openPool } from './runner-pool.js';
import type { SessionEvents, SessionPlan, SessionsSetting } from './runner-pool.js';
import { INPUT_NAME, MAP_OUTPUT, SCORE_OUTPUT } from './runner.js';
import type { ModelRunner, RunnerOpener, RunTiming, SessionOpenOptions } from './runner.js';

export { INPUT_NAME, MAP_OUTPUT, SCORE_OUTPUT, inProcessOpener } from './runner.js';
export type { ModelRunner, RunnerOpener, SessionOpenOptions } from './runner.js';
/** Kept under its old name: what `build({ sessionOpener })` accepts. */
export type SessionOpener = RunnerOpener;
export const defaultOpener: RunnerOpener = threadedOpener;

/**
 * Frames a model holds at once. One session gets two: while it runs one frame the next is already on its way, so
 * it never idles between frames. A pool gets one per session: a frame is taken only when a session is free, so it is
 * as fresh as it can be and never waits in a queue (a spare frame queued in a pool of two added its wait to latency:
 * p50 9.1 → 8.3 ms, p99 22.8 → 18.9 ms on the 2-core reference machine; the hand-off gap it costs is sub-ms).
 */
export function inputBuffers(parallelism: number): number {
  return parallelism > 1 ? parallelism : 2;
}

export interface InferenceResult {
  readonly score: number;
  readonly map: FloatMap;
  /** From preprocessing start to the result (includes waiting behind the run before it). */
  readonly ms: number;
  /** performance.now() when the frame was handed to the runner (the end of its wait for a buffer and dispatch). */
  readonly startedAt?: number;
  /** Preprocessing and `session.run` time where the model ran, when the runner reports it (worker threads do). */
  readonly timing?: RunTiming;
}

/** A reserved input buffer: use it for exactly one `run()`, or give it back with `cancel()`. */
export interface Reservation {
  run(image: RgbImage): Promise<InferenceResult>;
  cancel(): void;
}

export class LoadedModel {
  /** Frames this model can hold at once (running + being prepared). */
  readonly buffers: number;
  /** Pixel buffers, grown to the largest frame seen (frames are copied in: the camera keeps its own). */
  private readonly free: Uint8Array[] = [];
  private readonly waiters: { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }[] = [];
  private out = 0; // buffers reserved and not yet returned
  private idleWaiters: (() => void)[] = [];
  private released = false;
  private releasing: Promise<void> | undefined;
  private constructor(
    /** The registry version string this package was installed as (what status/health report). */
    readonly version: string,
    readonly manifest: Manifest,
    private readonly runner: ModelRunner,
    /** Sessions and threads per session this model runs with. */
    readonly plan: SessionPlan,
    /** The manifest's preprocessing; decides which part of the map covers the frame (all unless letterboxed). */
    private readonly fitting: PreprocessSettings,
  ) {
    this.buffers = inputBuffers(runner.parallelism ?? 1);
    for (let i = 0; i < this.buffers; i++) this.free.push(new Uint8Array(0));
  }

  get provider(): ExecutionProvider {
    return this.runner.provider;
  }

  get attempts(): ModelRunner['attempts'] {
    return this.runner.attempts;
  }

  get build(): number {
    return this.manifest.build;
  }

  /** Opens, checks the I/O contract against the manifest, and warms up. */
  static async load(
    version: string,
    manifest: Manifest,
    modelBytes: Uint8Array,
    options: Omit<SessionOpenOptions, 'preprocess'> & {
      warmUpRuns: number;
      sessions?: SessionsSetting;
      /** Sessions that die (reopened with backoff) and come back. */
      sessionEvents?: SessionEvents;
    },
    opener: RunnerOpener = defaultOpener,
  ): Promise<LoadedModel> {
    const settings = settingsFromManifest(manifest);
    const { warmUpRuns, sessions, sessionEvents, ...sessionOptions } = options;
    const { runner, plan } = await openPool(
      opener,
      modelBytes,
      { ...sessionOptions, preprocess: settings },
      sessions ?? 1,
      sessionEvents,
    );
    try {
      const input = runner.inputs.find((i) => i.name === INPUT_NAME);
      const outs = new Set(runner.outputNames);
      if (!input || !outs.has(MAP_OUTPUT) || !outs.has(SCORE_OUTPUT)) {
        throw new AgentError(
          'LW_AGENT_MODEL_INCOMPATIBLE',
          `model must map "${INPUT_NAME}" to "${MAP_OUTPUT}" + "${SCORE_OUTPUT}"`,
          {
            inputs: runner.inputs.map((i) => i.name),
            outputs: [...runner.outputNames],
          },
        );
      }
      const want = preprocessShape(settings);
      const ok =
        input.shape.length === 4 && input.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === want[i]);
      if (!ok) {
        throw new AgentError(
          'LW_AGENT_MODEL_INCOMPATIBLE',
          `model input shape [${input.shape.join(',')}] does not match manifest [${want.join(',')}]`,
        );
      }
      const model = new LoadedModel(version, manifest, runner, plan, settings);
      // Every session warms up: runs go to idle sessions first, so `parallelism` concurrent runs reach each one.
      const warmUp: RgbImage = { width: 8, height: 8, channels: 3, data: new Uint8Array(192) };
      const parallel = runner.parallelism ?? 1;
      for (let i = 0; i < warmUpRuns; i++)
        await Promise.all(Array.from({ length: parallel }, () => model.infer(warmUp)));
      return model;
    } catch (e) {
      await runner.release().catch(() => undefined);
      throw e;
    }
  }

  /** Waits for a free input buffer (first come, first served). Rejects once the model is released. */
  reserve(): Promise<Reservation> {
    if (this.released) return Promise.reject(new AgentError('LW_AGENT_INFERENCE_FAILED', 'model was released'));
    const buf = this.free.pop();
    if (buf) {
      this.out++;
      return Promise.resolve(this.reservation(buf));
    }
    return new Promise<Uint8Array>((resolve, reject) => this.waiters.push({ resolve, reject })).then((b) =>
      this.reservation(b),
    );
  }

  /** Scores one frame: reserve + run. */
  async infer(image: RgbImage): Promise<InferenceResult> {
    return (await this.reserve()).run(image);
  }

  private reservation(buf: Uint8Array): Reservation {
    let used = false;
    const use = (): void => {
      if (used) throw new AgentError('LW_AGENT_INFERENCE_FAILED', 'a reservation was used twice');
      used = true;
    };
    return {
      run: (image) => {
        use();
        return this.runOn(buf, image);
      },
      cancel: () => {
        use();
        this.giveBack(buf);
      },
    };
  }

  private async runOn(buf: Uint8Array, image: RgbImage): Promise<InferenceResult> {
    const t0 = performance.now();
    const { width, height } = image;
    const bytes = width * height * 3;
    if (!(width >= 1 && height >= 1) || image.channels !== 3 || image.data.length !== bytes) {
      this.giveBack(buf);
      throw new AgentError(
        'LW_AGENT_INFERENCE_FAILED',
        `frame has ${image.data.length} bytes for ${width}x${height}x${image.channels}`,
      );
    }
    const pixels = buf.length >= bytes ? buf : new Uint8Array(bytes);
    pixels.set(image.data);
    // The runner preprocesses where it runs (a worker thread by default) and hands the pixel buffer back.
    const out = await this.runner.run({ pixels, width, height });
    this.giveBack(out.pixels);
    if (!out.ok) throw new AgentError('LW_AGENT_INFERENCE_FAILED', out.reason, {}, { cause: out.cause });
    const score = out.score;
    // A letterboxed model's map has bands no frame pixel fell in: events carry only the part over the frame. Cropped
    // when read, since only flagged frames use the map.
    const raw = out.map;
    const fitting = this.fitting;
    let cropped: FloatMap | undefined;
    return {
      score: Number.isFinite(score) && score > 0 ? score : 0,
      get map() {
        return (cropped ??= mapContent(raw, width, height, fitting));
      },
      ms: performance.now() - t0,
      startedAt: t0,
      ...(out.timing ? { timing: out.timing } : {}),
    };
  }

  private giveBack(buf: Uint8Array): void {
    const next = this.waiters.shift();
    if (next) {
      next.resolve(buf);
      return;
    }
    this.free.push(buf);
    this.out--;
    if (this.out === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /**
   * Scores the package's golden frames; returns the first mismatch, or undefined if all are within tolerance.
   */
  async selfTest(files: ReadonlyMap<string, Uint8Array>): Promise<string | undefined> {
    const st = this.manifest.selfTest;
    if (!st) return undefined;
    for (const f of st.frames) {
      const bytes = files.get(f.path);
      if (!bytes) return `golden frame ${f.path} missing`;
      const img = await decodeImage(bytes);
      const { score } = await this.infer(img);
      if (!(Math.abs(score - f.expectedScore) <= st.tolerance)) {
        return `golden frame ${f.path}: score ${score.toFixed(6)} vs expected ${f.expectedScore} ± ${st.tolerance}`;
      }
    }
    return undefined;
  }

  /** Releases the runner after every reserved buffer has come back (queued frames finish on this model). */
  release(): Promise<void> {
    this.releasing ??= (async () => {
      while (this.out > 0 || this.waiters.length > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
      this.released = true;
      await this.runner.release();
    })();
    return this.releasing;
  }
}
