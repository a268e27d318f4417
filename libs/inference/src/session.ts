/**
 * An opened model: provider selection with fallback, input checking before onnxruntime sees the feeds (so a bad
 * frame is a coded error, not a native exception), warm-up, and release.
 */
import { InferenceError } from './errors.js';
import { ortCreateSession, type OrtFeeds, type OrtSession, type OrtSessionOptions, type OrtTensor } from './ort.js';
import type { ExecutionProvider } from '@linewatch/protocol';
import {
  parseProviders,
  providerConfig,
  shortReason,
  type ProviderAttempt,
  type ProviderSettings,
} from './providers.js';
import { fromOrtTensor, toOrtTensor, zerosLike, type TensorData, type TensorDType } from './tensor.js';

export interface SessionOptions extends ProviderSettings {
  /** Tried one at a time, in order; the first that opens the model wins. Default `['cpu']`. */
  executionProviders?: readonly string[];
  intraOpThreads?: number;
  interOpThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** onnxruntime's own log level (0 verbose … 4 fatal). Default 3: errors reach us as exceptions anyway. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * Let idle pool threads spin-wait for work (onnxruntime's default is on). Default off here: on small shared
   * machines spinning burns the cycles other processes need; the training engine measured −20 to −25% step wall
   * time under load with it off. Turn it on for dedicated hosts.
   */
  spinning?: boolean;
}

export interface TensorSpec {
  readonly name: string;
  readonly type: TensorDType | string;
  /** Numbers are fixed sizes; strings (or -1) are dynamic dimensions. */
  readonly shape: readonly (number | string)[];
}

function specsOf(meta: readonly unknown[]): TensorSpec[] {
  return meta.map((m) => {
    const x = m as { name: string; isTensor?: boolean; type?: string; shape?: readonly (number | string)[] };
    return { name: x.name, type: x.type ?? 'unknown', shape: x.shape ? [...x.shape] : [] };
  });
}

export class InferenceSession {
  private closed = false;

  private constructor(
    private readonly session: OrtSession,
    readonly provider: ExecutionProvider,
    readonly attempts: readonly ProviderAttempt[],
    readonly inputs: readonly TensorSpec[],
    readonly outputs: readonly TensorSpec[],
  ) {}

  static async open(model: string | Uint8Array, options: SessionOptions = {}): Promise<InferenceSession> {
    const providers = parseProviders(options.executionProviders ?? ['cpu']);
    const attempts: ProviderAttempt[] = [];
    for (const provider of providers) {
      const ortOptions: OrtSessionOptions = {
        executionProviders: [providerConfig(provider, options)],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        logSeverityLevel: options.logSeverityLevel ?? 3,
        executionMode: 'sequential',
        extra: { session: { intra_op: { allow_spinning: options.spinning === true ? '1' : '0' } } },
        ...(options.intraOpThreads !== undefined ? { intraOpNumThreads: options.intraOpThreads } : {}),
        ...(options.interOpThreads !== undefined ? { interOpNumThreads: options.interOpThreads } : {}),
      };
      try {
        const session = await ortCreateSession(model, ortOptions);
        attempts.push({ provider, ok: true });
        return new InferenceSession(
          session,
          provider,
          attempts,
          specsOf(session.inputMetadata),
          specsOf(session.outputMetadata),
        );
      } catch (err) {
        const reason = shortReason(err);
        // A model that protobuf cannot parse fails the same way on every provider: say so now.
        if (/protobuf parsing failed|No such file|model_path|Load model/i.test(reason) && provider === 'cpu') {
          throw new InferenceError('LW_INFER_MODEL_INVALID', reason, { provider }, { cause: err });
        }
        attempts.push({ provider, ok: false, reason });
      }
    }
    const lastReason = attempts.at(-1)?.reason ?? '';
    if (/protobuf parsing failed|No such file|Load model/i.test(lastReason)) {
      throw new InferenceError('LW_INFER_MODEL_INVALID', lastReason, { attempts });
    }
    throw new InferenceError(
      'LW_INFER_PROVIDER_UNAVAILABLE',
      `no execution provider could open the model (tried ${providers.join(', ')})`,
      { attempts },
    );
  }

  get inputNames(): readonly string[] {
    return this.inputs.map((i) => i.name);
  }

  get outputNames(): readonly string[] {
    return this.outputs.map((o) => o.name);
  }

  /** Runs with plain tensors; checks names, types and fixed dimensions first. */
  async run(
    feeds: Readonly<Record<string, TensorData>>,
    outputNames?: readonly string[],
  ): Promise<Record<string, TensorData>> {
    this.checkFeeds(feeds);
    const ortFeeds: OrtFeeds = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(t);
    const out = await this.runOrt(ortFeeds, outputNames);
    const result: Record<string, TensorData> = {};
    for (const [name, t] of Object.entries(out)) result[name] = fromOrtTensor(t);
    return result;
  }

  /**
   * Runs with onnxruntime tensors, unchecked: for hot loops (the training runtime feeds a step's outputs straight
   * back as the next step's inputs) where conversion would cost copies.
   */
  async runOrt(feeds: OrtFeeds, outputNames?: readonly string[]): Promise<Record<string, OrtTensor>> {
    if (this.closed) throw new InferenceError('LW_INFER_SESSION_CLOSED', 'session was released');
    try {
      return outputNames ? await this.session.run(feeds, [...outputNames]) : await this.session.run(feeds);
    } catch (err) {
      throw new InferenceError('LW_INFER_RUN_FAILED', shortReason(err), { provider: this.provider }, { cause: err });
    }
  }

  /** Runs the model `runs` times on zeros (dynamic dimensions set to `dynamicSize`); returns each run's ms. */
  async warmUp(runs = 2, dynamicSize = 1): Promise<number[]> {
    const feeds: Record<string, TensorData> = {};
    for (const spec of this.inputs) {
      const dims = spec.shape.map((d) => (typeof d === 'number' && d > 0 ? d : dynamicSize));
      feeds[spec.name] = zerosLike(spec.type as TensorDType, dims);
    }
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await this.run(feeds);
      times.push(performance.now() - t0);
    }
    return times;
  }

  async release(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }

  private checkFeeds(feeds: Readonly<Record<string, TensorData>>): void {
    for (const spec of this.inputs) {
      const t = feeds[spec.name];
      if (!t) throw new InferenceError('LW_INFER_BAD_INPUT', `missing input "${spec.name}"`, { input: spec.name });
      if (spec.type !== t.type) {
        throw new InferenceError('LW_INFER_BAD_INPUT', `input "${spec.name}" must be ${spec.type}, got ${t.type}`, {
          input: spec.name,
        });
      }
      const expected = spec.shape;
      const ok =
        expected.length === t.dims.length &&
        expected.every((d, i) => typeof d !== 'number' || d < 0 || d === t.dims[i]);
      const size = t.dims.reduce((a, b) => a * b, 1);
      if (!ok || size !== t.data.length) {
        throw new InferenceError(
          'LW_INFER_BAD_INPUT',
          `input "${spec.name}" has shape [${t.dims.join(',')}] (${t.data.length} values), model expects [${expected.join(',')}]`,
          { input: spec.name, dims: [...t.dims], expected: [...expected] },
        );
      }
    }
    for (const name of Object.keys(feeds)) {
      if (!this.inputs.some((s) => s.name === name)) {
        throw new InferenceError('LW_INFER_BAD_INPUT', `unexpected input "${name}"`, { input: name });
      }
    }
  }
}
