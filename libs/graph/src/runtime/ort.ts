/**
 * The training runtime's view of onnxruntime. Sessions are opened through @linewatch/inference — the one place in
 * the repository that touches onnxruntime-node — and this module only adapts its errors to the graph catalogue and
 * wraps typed arrays as tensors without copying.
 */
import { InferenceSession, isInferenceError, OrtTensorCtor, type OrtTensor } from '@linewatch/inference';
import type { ExecutionProvider } from '@linewatch/protocol';
import { GraphError } from '../errors.js';
import type { DType, Shape, TensorData } from '../tensor.js';

export type { OrtTensor };

export interface SessionConfig {
  /** Intra-op threads (ORT's own pool). Default 2: the CI/dev machines are small and shared. */
  readonly threads?: number;
  /**
   * In priority order; default ['cpu']. Asking for 'cuda' where it is unavailable is a coded error, and so is a
   * provider @linewatch/inference does not open (LW_GRAPH_SESSION_FAILED).
   */
  readonly executionProviders?: readonly ExecutionProvider[];
  /** GPU ordinal for cuda (passed to @linewatch/inference); default 0. */
  readonly deviceId?: number;
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
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

/** Wraps a typed array without copying: ORT reads the JS buffer in place. */
export function ortTensor(dtype: DType, data: TensorData, shape: Shape): OrtTensor {
  return new OrtTensorCtor(dtype, data as never, [...shape]);
}

export function tensorData(t: OrtTensor): TensorData {
  return t.data as TensorData;
}

export async function createSession(model: Uint8Array, config: SessionConfig = {}): Promise<Session> {
  const eps = config.executionProviders ?? ['cpu'];
  let session: InferenceSession;
  try {
    session = await InferenceSession.open(model, {
      executionProviders: eps,
      intraOpThreads: config.threads ?? 2,
      interOpThreads: 1,
      graphOptimizationLevel: 'all',
      spinning: config.spinning === true,
      ...(config.deviceId !== undefined ? { deviceId: config.deviceId } : {}),
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (isInferenceError(e, 'LW_INFER_PROVIDER_UNAVAILABLE')) {
      throw new GraphError('LW_GRAPH_EP_UNAVAILABLE', `execution provider unavailable: ${message}`, {
        requested: eps,
        cause: message,
      });
    }
    throw new GraphError('LW_GRAPH_SESSION_FAILED', `onnxruntime rejected the model: ${message}`, { cause: message });
  }
  // Training asks for CUDA to get CUDA: a silent fallback to CPU would turn a GPU job into a days-long one.
  if (eps.includes('cuda') && session.provider !== 'cuda') {
    const attempts = session.attempts;
    await session.release();
    throw new GraphError('LW_GRAPH_EP_UNAVAILABLE', 'CUDA execution provider requested but unavailable', {
      requested: eps,
      attempts,
    });
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds) {
      try {
        return await session.runOrt(feeds);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        throw new GraphError('LW_GRAPH_SESSION_FAILED', `onnxruntime run failed: ${message}`, { cause: message });
      }
    },
    release: () => session.release(),
  };
}
