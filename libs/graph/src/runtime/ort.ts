/**
 * The only module that touches onnxruntime-node. Everything else in this lib sees `Session`/`OrtTensor` through
 * these few functions, so swapping runtimes (or mocking) stays local.
 */
import * as ort from 'onnxruntime-node';
import { GraphError } from '../errors.js';
import type { DType, Shape, TensorData } from '../tensor.js';

export type OrtTensor = ort.Tensor;
export type ExecutionProvider = 'cpu' | 'cuda';

export interface SessionConfig {
  /** Intra-op threads (ORT's own pool). Default 2: the CI/dev machines are small and shared. */
  readonly threads?: number;
  /** In priority order; default ['cpu']. Asking for 'cuda' where it is unavailable is a coded error. */
  readonly executionProviders?: readonly ExecutionProvider[];
  /**
   * Let idle ORT pool threads spin-wait for work. ORT's default is on, but ours is off: on small shared machines
   * spinning burns the cycles other processes (and our own next kernel) need. Measured on the engine bench under
   * load: step wall time −20 to −25%, CPU time −10 to −25%. Turn it on for dedicated hosts.
   */
  readonly spinning?: boolean;
}

export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>, fetches?: Record<string, OrtTensor | null>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', bool: 'bool' };

/** Wraps a typed array without copying: ORT reads the JS buffer in place. */
export function ortTensor(dtype: DType, data: TensorData, shape: Shape): OrtTensor {
  return new ort.Tensor(ORT_TYPE[dtype], data as never, [...shape]);
}

export function tensorData(t: OrtTensor): TensorData {
  return t.data as TensorData;
}

/** Whether this onnxruntime build ships a CUDA provider at all (the probe session decides for real). */
export function cudaListed(): boolean {
  return ort.listSupportedBackends().some((b) => b.name === 'cuda');
}

export async function createSession(model: Uint8Array, config: SessionConfig = {}): Promise<Session> {
  const eps = config.executionProviders ?? ['cpu'];
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: config.threads ?? 2,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    executionProviders: [...eps],
    extra: { session: { intra_op: { allow_spinning: config.spinning === true ? '1' : '0' } } },
  };
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, options);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (eps.includes('cuda') && (!cudaListed() || /cuda|provider|librar/i.test(message))) {
      throw new GraphError('LW_GRAPH_EP_UNAVAILABLE', `CUDA execution provider requested but unavailable: ${message}`, {
        requested: eps,
        cause: message,
      });
    }
    throw new GraphError('LW_GRAPH_SESSION_FAILED', `onnxruntime rejected the model: ${message}`, { cause: message });
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, fetches) {
      try {
        return (fetches ? await session.run(feeds, fetches as never) : await session.run(feeds)) as Record<string, OrtTensor>;
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        throw new GraphError('LW_GRAPH_SESSION_FAILED', `onnxruntime run failed: ${message}`, { cause: message });
      }
    },
    release: () => session.release(),
  };
}
