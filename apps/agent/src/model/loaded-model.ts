/**
 * A model package opened for inference: its runner (session in a worker thread by default), its preprocessing
 * recipe from the manifest, and a fixed pool of input buffers.
 *
 * Double buffering: with two buffers, the main thread preprocesses frame N+1 into one while the model runs frame N
 * from the other, so the model never waits for preprocessing. A frame is run in two steps — `reserve()` waits for a
 * free buffer, then `run(image)` preprocesses into it at once and queues the run — so the pipeline can pick the
 * newest frame only after a buffer is free. Runs on one model execute in submission order; `release()` waits for
 * every reserved buffer to come back, the basis of a swap that skips no frame.
 */
import type { Manifest } from '@linewatch/protocol';
import { decodeImage, preprocessInto, preprocessShape, settingsFromManifest } from '@linewatch/vision';
import type { FloatMap, PreprocessSettings, RgbImage } from '@linewatch/vision';
import { AgentError, reasonOf } from '../errors.js';
import { threadedOpener } from './infer-thread.js';
import { INPUT_NAME, MAP_OUTPUT, SCORE_OUTPUT } from './runner.js';
import type { ModelRunner, RunnerOpener, SessionOpenOptions } from './runner.js';

export { INPUT_NAME, MAP_OUTPUT, SCORE_OUTPUT, inProcessOpener } from './runner.js';
export type { ModelRunner, RunnerOpener, SessionOpenOptions } from './runner.js';
/** Kept under its old name: what `build({ sessionOpener })` accepts. */
export type SessionOpener = RunnerOpener;
export const defaultOpener: RunnerOpener = threadedOpener;

/** Input buffers per model: one being run, one being filled. More only queues frames (latency) on one model. */
export const INPUT_BUFFERS = 2;

export interface InferenceResult {
  readonly score: number;
  readonly map: FloatMap;
  /** From preprocessing start to the result (includes waiting behind the run before it). */
  readonly ms: number;
}

/** A reserved input buffer: use it for exactly one `run()`, or give it back with `cancel()`. */
export interface Reservation {
  run(image: RgbImage): Promise<InferenceResult>;
  cancel(): void;
}

export class LoadedModel {
  private readonly dims: readonly number[];
  private readonly size: number;
  private readonly free: Float32Array[] = [];
  private readonly waiters: { resolve: (b: Float32Array) => void; reject: (e: Error) => void }[] = [];
  private out = 0; // buffers reserved and not yet returned
  private idleWaiters: (() => void)[] = [];
  private released = false;
  private releasing: Promise<void> | undefined;

  private constructor(
    /** The registry version string this package was installed as (what status/health report). */
    readonly version: string,
    readonly manifest: Manifest,
    private readonly runner: ModelRunner,
    private readonly settings: PreprocessSettings,
  ) {
    this.dims = preprocessShape(settings);
    this.size = this.dims.reduce((a, b) => a * b, 1);
    for (let i = 0; i < INPUT_BUFFERS; i++) this.free.push(new Float32Array(this.size));
  }

  get provider(): string {
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
    options: SessionOpenOptions & { warmUpRuns: number },
    opener: RunnerOpener = defaultOpener,
  ): Promise<LoadedModel> {
    const settings = settingsFromManifest(manifest);
    const runner = await opener(modelBytes, options);
    try {
      const input = runner.inputs.find((i) => i.name === INPUT_NAME);
      const outs = new Set(runner.outputNames);
      if (!input || !outs.has(MAP_OUTPUT) || !outs.has(SCORE_OUTPUT)) {
        throw new AgentError('LW_AGENT_MODEL_INCOMPATIBLE', `model must map "${INPUT_NAME}" to "${MAP_OUTPUT}" + "${SCORE_OUTPUT}"`, {
          inputs: runner.inputs.map((i) => i.name),
          outputs: [...runner.outputNames],
        });
      }
      const want = preprocessShape(settings);
      const ok = input.shape.length === 4 && input.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === want[i]);
      if (!ok) {
        throw new AgentError('LW_AGENT_MODEL_INCOMPATIBLE', `model input shape [${input.shape.join(',')}] does not match manifest [${want.join(',')}]`);
      }
      const model = new LoadedModel(version, manifest, runner, settings);
      for (let i = 0; i < options.warmUpRuns; i++) await model.infer({ width: 8, height: 8, channels: 3, data: new Uint8Array(192) });
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
    return new Promise<Float32Array>((resolve, reject) => this.waiters.push({ resolve, reject })).then((b) => this.reservation(b));
  }

  /** Scores one frame: reserve + run. */
  async infer(image: RgbImage): Promise<InferenceResult> {
    return (await this.reserve()).run(image);
  }

  private reservation(buf: Float32Array): Reservation {
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

  private async runOn(buf: Float32Array, image: RgbImage): Promise<InferenceResult> {
    const t0 = performance.now();
    try {
      preprocessInto(buf, image, this.settings);
    } catch (e) {
      this.giveBack(buf);
      throw new AgentError('LW_AGENT_INFERENCE_FAILED', reasonOf(e), {}, { cause: e });
    }
    const out = await this.runner.run(buf, this.dims);
    this.giveBack(out.input.length === this.size ? out.input : new Float32Array(this.size));
    if (!out.ok) throw new AgentError('LW_AGENT_INFERENCE_FAILED', out.reason, {}, { cause: out.cause });
    const score = out.score;
    return { score: Number.isFinite(score) && score > 0 ? score : 0, map: out.map, ms: performance.now() - t0 };
  }

  private giveBack(buf: Float32Array): void {
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
