/**
 * Training runtime. One ORT session runs forward + backward + optimizer; parameters and optimizer state live as
 * ORT tensors: each step feeds `cur` (wrapped in place, no copy) and the step's `next/…` outputs become `cur` for
 * the following step. No model re-serialisation and no JS-side copies per step.
 *
 * Why no preallocated (double-buffered) outputs: onnxruntime-node 1.30 always returns outputs in a fresh
 * ArrayBuffer, and with a preallocated fetch it copies the result a second time (measured: the returned tensor does
 * not alias the preallocated one, and runs were slower). Taking ORT's outputs as-is costs exactly the binding's one
 * native copy per output, which the benchmark reports.
 */
import type { Graph, ParamEntry } from '../builder.js';
import { grad } from '../autodiff/grad.js';
import { decodeCheckpoint, encodeCheckpoint } from '../checkpoint.js';
import { GraphError } from '../errors.js';
import { exportModel } from '../onnx/serialize.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { DType, FloatData, Shape, Tensor, TensorData } from '../tensor.js';
import { sameShape } from '../tensor.js';
import { rejectUnknown, wrapBatch, type Batch } from './feeds.js';
import { createSession, ortTensor, type OrtTensor, type Session, type SessionConfig } from './ort.js';

export interface TrainerOptions extends SessionConfig {
  readonly graph: Graph;
  /** Scalar loss. */
  readonly loss: Tensor;
  readonly optimizer: Optimizer;
  /** Extra named outputs returned by `step` and available to `evaluate` / `exportInference`. */
  readonly outputs?: Readonly<Record<string, Tensor>>;
  /** Parameters to train; the rest stay frozen at their initial (or `setParam`) values. Default: all. */
  readonly trainable?: readonly Tensor[];
}

export interface StepResult {
  readonly loss: number;
  readonly outputs: Readonly<Record<string, TensorData>>;
}

export interface TrainerStats {
  readonly steps: number;
  /** Bytes of params + optimizer state carried between steps (each copied once, natively, by the ORT binding). */
  readonly stateBytesPerStep: number;
  /** Copies made in JS per step (batches and state are wrapped, outputs taken as returned): 0. */
  readonly jsCopiesPerStep: number;
  readonly lastStepMs: number;
}

interface Slot {
  readonly name: string;
  readonly shape: Shape;
  readonly dtype: DType;
  /** Output name carrying the next value; null for frozen params. */
  readonly next: string | null;
  cur: OrtTensor;
}

const LR_INPUT = 'optim/lr';
const NEXT = 'next/';

function copyOf(data: FloatData): FloatData {
  return data.slice();
}

export class Trainer {
  private stepCount = 0;
  private lastStepMs = 0;
  private readonly evalSessions = new Map<string, Promise<{ session: Session; inputs: readonly Tensor[] }>>();

  private constructor(
    private readonly options: TrainerOptions,
    private readonly session: Session,
    private readonly slots: Map<string, Slot>,
    private readonly batchInputs: readonly Tensor[],
    private readonly outputs: Readonly<Record<string, Tensor>>,
  ) {}

  static async create(options: TrainerOptions): Promise<Trainer> {
    const { graph, loss, optimizer } = options;
    const extras = options.outputs ?? {};
    for (const name of Object.keys(extras)) {
      if (name === 'loss' || name.startsWith(NEXT)) {
        throw new GraphError('LW_GRAPH_DUPLICATE_NAME', `output name '${name}' is reserved`, { name });
      }
    }
    const trainable = options.trainable ?? graph.paramTensors();
    const entries: ParamEntry[] = trainable.map((t) => {
      const e = graph.params.get(t.name);
      if (!e || e.tensor !== t)
        throw new GraphError('LW_GRAPH_UNKNOWN_NAME', `'${t.name}' is not a parameter of this graph`, { name: t.name });
      return e;
    });
    const lr = graph.input(LR_INPUT, [], graph.dtype);
    const grads = grad(loss, trainable);
    const built = optimizer.build(graph, entries, grads, lr);

    const slots = new Map<string, Slot>();
    const trainOutputs: Record<string, Tensor> = { loss, ...extras };
    const alloc = (name: string, t: Tensor, init: FloatData, next: Tensor | null): void => {
      if (next) trainOutputs[NEXT + name] = next;
      slots.set(name, {
        name,
        shape: t.shape,
        dtype: t.dtype,
        next: next ? NEXT + name : null,
        cur: ortTensor(t.dtype, copyOf(init), t.shape),
      });
    };
    for (const [name, e] of graph.params) alloc(name, e.tensor, e.init, built.updates.get(name) ?? null);
    for (const s of built.state) alloc(s.input.name, s.input, s.init, s.next);

    const keep = [...slots.keys()].map((n) => graph.inputs.get(n) ?? graph.params.get(n)!.tensor);
    const model = exportModel({
      graph,
      outputs: trainOutputs,
      paramsAs: 'inputs',
      keepInputs: [...keep, lr],
      modelName: 'train',
    });
    const batchInputs = model.inputs.filter((t) => t.kind === 'input' && !slots.has(t.name) && t.name !== LR_INPUT);
    const session = await createSession(model.bytes, options);
    return new Trainer(options, session, slots, batchInputs, { loss, ...extras });
  }

  /** Number of optimizer steps taken (restored by checkpoints). */
  get steps(): number {
    return this.stepCount;
  }

  /** Inputs a training batch must provide. */
  get inputs(): readonly Tensor[] {
    return this.batchInputs;
  }

  async step(batch: Batch, lr: number): Promise<StepResult> {
    const t0 = performance.now();
    rejectUnknown(batch, new Set(this.batchInputs.map((t) => t.name)));
    const feeds: Record<string, OrtTensor> = {};
    wrapBatch(batch, this.batchInputs, feeds);
    const dtype = this.options.graph.dtype;
    feeds[LR_INPUT] = ortTensor(dtype, dtype === 'float64' ? Float64Array.of(lr) : Float32Array.of(lr), []);
    for (const s of this.slots.values()) feeds[s.name] = s.cur;
    const res = await this.session.run(feeds);
    for (const s of this.slots.values()) if (s.next) s.cur = res[s.next]!;
    this.stepCount++;
    const outputs: Record<string, TensorData> = {};
    for (const name of Object.keys(this.outputs)) if (name !== 'loss') outputs[name] = res[name]!.data as TensorData;
    this.lastStepMs = performance.now() - t0;
    return { loss: Number((res.loss!.data as FloatData)[0]), outputs };
  }

  /**
   * Forward only, with the current parameters (fed from the live ORT tensors; nothing is re-serialised after the
   * first call per output set). Only the inputs the requested outputs need must be in `batch`.
   */
  async evaluate(
    batch: Batch,
    names: readonly string[] = Object.keys(this.outputs),
  ): Promise<Record<string, TensorData>> {
    const key = [...names].sort().join('\n');
    let entry = this.evalSessions.get(key);
    if (!entry) {
      const outs = this.pick(names);
      entry = (async () => {
        const m = exportModel({ graph: this.options.graph, outputs: outs, paramsAs: 'inputs', modelName: 'eval' });
        return { session: await createSession(m.bytes, this.options), inputs: m.inputs };
      })();
      this.evalSessions.set(key, entry);
    }
    const { session, inputs } = await entry;
    const feeds: Record<string, OrtTensor> = {};
    const userInputs = inputs.filter((t) => t.kind === 'input');
    wrapBatch(batch, userInputs, feeds);
    for (const t of inputs) if (t.kind === 'param') feeds[t.name] = this.slot(t.name).cur;
    const res = await session.run(feeds);
    return Object.fromEntries(names.map((n) => [n, res[n]!.data as TensorData]));
  }

  /** ONNX bytes of the forward graph for `outputs` (names of trainer outputs, or tensors by chosen name). */
  exportInference(outputs: readonly string[] | Readonly<Record<string, Tensor>>): Uint8Array {
    const outs = Array.isArray(outputs)
      ? this.pick(outputs as readonly string[])
      : (outputs as Readonly<Record<string, Tensor>>);
    return exportModel({
      graph: this.options.graph,
      outputs: outs,
      paramsAs: 'initializers',
      paramValue: (name) => this.slot(name).cur.data as TensorData,
      modelName: 'inference',
    }).bytes;
  }

  /** Live view of a parameter's current value (do not mutate; use setParam). */
  param(name: string): FloatData {
    return this.slot(name).cur.data as FloatData;
  }

  /** Overwrite a parameter (e.g. imported weights). Copies into the live buffer. */
  setParam(name: string, values: ArrayLike<number>): void {
    const s = this.slot(name);
    const data = s.cur.data as FloatData;
    if (values.length !== data.length)
      throw new GraphError('LW_GRAPH_SHAPE_MISMATCH', `param '${name}' has ${data.length} values`, { name });
    data.set(values);
  }

  saveCheckpoint(meta: Readonly<Record<string, unknown>> = {}): Uint8Array {
    const { kind, config } = this.options.optimizer;
    return encodeCheckpoint({
      step: this.stepCount,
      entries: [...this.slots.values()].map((s) => ({ name: s.name, shape: s.shape, data: s.cur.data as TensorData })),
      meta: { ...meta, optimizer: { kind, config } },
    });
  }

  loadCheckpoint(bytes: Uint8Array): void {
    const ckpt = decodeCheckpoint(bytes);
    const opt = ckpt.meta['optimizer'] as { kind?: string } | undefined;
    const mismatch = (message: string, details: Record<string, unknown>): GraphError =>
      new GraphError('LW_GRAPH_CHECKPOINT_MISMATCH', message, details);
    if (opt?.kind !== this.options.optimizer.kind)
      throw mismatch('optimizer differs', { expected: this.options.optimizer.kind, got: opt?.kind });
    const names = new Set(ckpt.entries.map((e) => e.name));
    const missing = [...this.slots.keys()].filter((n) => !names.has(n));
    const extra = [...names].filter((n) => !this.slots.has(n));
    if (missing.length > 0 || extra.length > 0) throw mismatch('tensor names differ', { missing, extra });
    for (const e of ckpt.entries) {
      const s = this.slots.get(e.name)!;
      const cur = s.cur.data as TensorData;
      if (!sameShape(s.shape, e.shape) || cur.constructor !== e.data.constructor) {
        throw mismatch(`'${e.name}' has a different shape or dtype`, { name: e.name, expected: s.shape, got: e.shape });
      }
    }
    for (const e of ckpt.entries) (this.slots.get(e.name)!.cur.data as FloatData).set(e.data as FloatData);
    this.stepCount = ckpt.step;
  }

  get stats(): TrainerStats {
    let bytes = 0;
    for (const s of this.slots.values()) if (s.next) bytes += (s.cur.data as TensorData).byteLength;
    return { steps: this.stepCount, stateBytesPerStep: bytes, jsCopiesPerStep: 0, lastStepMs: this.lastStepMs };
  }

  async release(): Promise<void> {
    await this.session.release();
    for (const e of this.evalSessions.values()) await (await e).session.release();
    this.evalSessions.clear();
  }

  private pick(names: readonly string[]): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const n of names) {
      const t = this.outputs[n];
      if (!t)
        throw new GraphError('LW_GRAPH_UNKNOWN_NAME', `no output named '${n}'`, {
          name: n,
          known: Object.keys(this.outputs),
        });
      out[n] = t;
    }
    return out;
  }

  private slot(name: string): Slot {
    const s = this.slots.get(name);
    if (!s || !this.options.graph.params.has(name))
      throw new GraphError('LW_GRAPH_UNKNOWN_NAME', `no parameter '${name}'`, { name });
    return s;
  }
}
