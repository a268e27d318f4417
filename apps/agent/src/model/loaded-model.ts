/**
 * A model package opened for inference: its session, its preprocessing recipe from the manifest, and one reusable
 * input buffer. Runs on one session are serialised (the input buffer is shared, and onnxruntime's CPU provider
 * already uses every core for one run), which also lets `release()` wait until in-flight frames are done — the
 * basis of a swap that skips no frame.
 */
import { InferenceSession, float32 } from '@linewatch/inference';
import type { ProviderAttempt } from '@linewatch/inference';
import type { Manifest } from '@linewatch/protocol';
import { decodeImage, preprocessInto, preprocessShape, settingsFromManifest } from '@linewatch/vision';
import type { FloatMap, PreprocessSettings, RgbImage } from '@linewatch/vision';
import { AgentError, reasonOf } from '../errors.js';

export const INPUT_NAME = 'image';
export const MAP_OUTPUT = 'anomaly_map';
export const SCORE_OUTPUT = 'score';

export interface InferenceResult {
  readonly score: number;
  readonly map: FloatMap;
  readonly ms: number;
}

export interface SessionOpenOptions {
  readonly executionProviders: readonly string[];
  readonly intraOpThreads?: number;
}

export type SessionOpener = (model: Uint8Array, options: SessionOpenOptions) => Promise<InferenceSession>;

export const defaultOpener: SessionOpener = (model, options) =>
  InferenceSession.open(model, {
    executionProviders: options.executionProviders,
    ...(options.intraOpThreads !== undefined ? { intraOpThreads: options.intraOpThreads } : {}),
  });

export class LoadedModel {
  private readonly input: Float32Array;
  private readonly dims: readonly number[];
  private tail: Promise<unknown> = Promise.resolve();
  private released = false;

  private constructor(
    /** The registry version string this package was installed as (what status/health report). */
    readonly version: string,
    readonly manifest: Manifest,
    private readonly session: InferenceSession,
    private readonly settings: PreprocessSettings,
  ) {
    this.dims = preprocessShape(settings);
    this.input = new Float32Array(this.dims.reduce((a, b) => a * b, 1));
  }

  get provider(): string {
    return this.session.provider;
  }

  get attempts(): readonly ProviderAttempt[] {
    return this.session.attempts;
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
    opener: SessionOpener = defaultOpener,
  ): Promise<LoadedModel> {
    const settings = settingsFromManifest(manifest);
    const session = await opener(modelBytes, options);
    try {
      const input = session.inputs.find((i) => i.name === INPUT_NAME);
      const outs = new Set(session.outputNames);
      if (!input || !outs.has(MAP_OUTPUT) || !outs.has(SCORE_OUTPUT)) {
        throw new AgentError('LW_AGENT_MODEL_INCOMPATIBLE', `model must map "${INPUT_NAME}" to "${MAP_OUTPUT}" + "${SCORE_OUTPUT}"`, {
          inputs: [...session.inputNames],
          outputs: [...session.outputNames],
        });
      }
      const want = preprocessShape(settings);
      const ok = input.shape.length === 4 && input.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === want[i]);
      if (!ok) {
        throw new AgentError('LW_AGENT_MODEL_INCOMPATIBLE', `model input shape [${input.shape.join(',')}] does not match manifest [${want.join(',')}]`);
      }
      const model = new LoadedModel(version, manifest, session, settings);
      for (let i = 0; i < options.warmUpRuns; i++) await model.infer({ width: 8, height: 8, channels: 3, data: new Uint8Array(192) });
      return model;
    } catch (e) {
      await session.release().catch(() => undefined);
      throw e;
    }
  }

  /** Scores one frame. Queued behind earlier calls on this model. */
  infer(image: RgbImage): Promise<InferenceResult> {
    const run = this.tail.then(() => this.runOnce(image));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async runOnce(image: RgbImage): Promise<InferenceResult> {
    if (this.released) throw new AgentError('LW_AGENT_INFERENCE_FAILED', 'model was released');
    const t0 = performance.now();
    preprocessInto(this.input, image, this.settings);
    let out;
    try {
      out = await this.session.run({ [INPUT_NAME]: float32(this.input, this.dims) }, [MAP_OUTPUT, SCORE_OUTPUT]);
    } catch (e) {
      throw new AgentError('LW_AGENT_INFERENCE_FAILED', reasonOf(e), {}, { cause: e });
    }
    const map = out[MAP_OUTPUT]!;
    const score = Number((out[SCORE_OUTPUT]!.data as Float32Array)[0]);
    const h = map.dims[map.dims.length - 2] ?? 1;
    const w = map.dims[map.dims.length - 1] ?? 1;
    return { score: Number.isFinite(score) && score > 0 ? score : 0, map: { width: w, height: h, data: map.data as Float32Array }, ms: performance.now() - t0 };
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

  /** Releases the session after every queued frame has finished. */
  async release(): Promise<void> {
    await this.tail;
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}
