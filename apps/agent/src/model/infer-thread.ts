/**
 * The default ModelRunner: the session lives in a worker thread (infer-worker.ts), so the main thread keeps
 * serving cameras, MQTT and preprocessing while the model runs — the basis of the pipeline's double buffering.
 */
import type { Worker } from 'node:worker_threads';
import { InferenceError } from '@linewatch/inference';
import type { InferenceErrorCode, ProviderAttempt, TensorSpec } from '@linewatch/inference';
import type { ExecutionProvider } from '@linewatch/protocol';
import type { WorkerReply, WorkerRequest } from './infer-worker.js';
import type { FrameInput, ModelRunner, RunnerOpener, RunOutput, SessionOpenOptions } from './runner.js';
import { startModuleWorker } from './worker-start.js';

interface Pending {
  readonly pixels: Uint8Array;
  readonly resolve: (o: RunOutput) => void;
}

class ThreadedRunner implements ModelRunner {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  dead: string | undefined;
  private releasing: Promise<void> | undefined;

  constructor(
    private readonly worker: Worker,
    readonly provider: ExecutionProvider,
    readonly attempts: readonly ProviderAttempt[],
    readonly inputs: readonly TensorSpec[],
    readonly outputNames: readonly string[],
  ) {
    worker.on('message', (m: WorkerReply) => this.onReply(m));
    worker.on('error', (e) => this.fail(`inference worker failed: ${e.message}`));
    worker.on('exit', (code) => this.fail(`inference worker exited (${code})`));
    // Like a session on this thread, an idle worker does not keep the process alive; a run in flight does. After the
    // listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
  }

  run(frame: FrameInput): Promise<RunOutput> {
    const { pixels, width, height } = frame;
    if (this.dead !== undefined) return Promise.resolve({ ok: false, pixels, reason: this.dead });
    const id = this.nextId++;
    return new Promise<RunOutput>((resolve) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { pixels, resolve });
      this.post({ op: 'run', id, pixels, width, height }, [pixels.buffer as ArrayBuffer]);
    });
  }

  release(): Promise<void> {
    this.releasing ??= (async () => {
      if (this.dead === undefined) {
        const done = new Promise<void>((resolve) => {
          const onReply = (m: WorkerReply): void => {
            if (m.op !== 'released') return;
            this.worker.off('message', onReply);
            resolve();
          };
          this.worker.on('message', onReply);
          this.worker.once('exit', () => resolve());
        });
        this.worker.ref();
        this.post({ op: 'release' });
        await done;
      }
      this.dead ??= 'model was released';
      await this.worker.terminate();
    })();
    return this.releasing;
  }

  private post(req: WorkerRequest, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(req, transfer);
  }

  private onReply(m: WorkerReply): void {
    if (m.op !== 'result' && m.op !== 'run-failed') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    if (m.op === 'run-failed') {
      p.resolve({ ok: false, pixels: m.pixels, reason: m.message });
      return;
    }
    const h = m.mapDims[m.mapDims.length - 2] ?? 1;
    const w = m.mapDims[m.mapDims.length - 1] ?? 1;
    p.resolve({
      ok: true,
      pixels: m.pixels,
      score: m.score,
      map: { width: w, height: h, data: m.map },
      timing: { preMs: m.preMs, runMs: m.runMs },
    });
  }

  /** The worker is gone: every waiting run fails, with a fresh buffer in place of the one it took along. */
  private fail(reason: string): void {
    if (this.dead === undefined) this.dead = reason;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.resolve({ ok: false, pixels: new Uint8Array(p.pixels.byteLength), reason: this.dead });
    }
  }
}

/** Opens the model in a new worker thread; rejects with the session's InferenceError if it cannot be opened. */
export const threadedOpener: RunnerOpener = async (model: Uint8Array, options: SessionOpenOptions) => {
  const worker = startModuleWorker('infer-worker');
  const cleanup: (() => void)[] = [];
  try {
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      const onExit = (code: number): void =>
        reject(new Error(`inference worker exited (${code}) while opening the model`));
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', onExit);
      // Individually: removeAllListeners() would also drop the Worker's own listener bookkeeping (its message port).
      cleanup.push(() => worker.off('message', resolve).off('error', reject).off('exit', onExit));
      // A copy of just the model's bytes (the caller's view may sit in a whole package's buffer), moved, not cloned.
      const bytes = model.slice();
      worker.postMessage(
        {
          op: 'open',
          model: bytes,
          options: { ...options, executionProviders: [...options.executionProviders] },
        } satisfies WorkerRequest,
        [bytes.buffer],
      );
    });
    for (const c of cleanup) c();
    if (reply.op === 'open-failed') {
      throw reply.code
        ? new InferenceError(reply.code as InferenceErrorCode, reply.message, reply.details ?? {})
        : new Error(reply.message);
    }
    if (reply.op !== 'opened') throw new Error(`inference worker answered ${reply.op} to open`);
    return new ThreadedRunner(
      worker,
      reply.provider,
      reply.attempts as ProviderAttempt[],
      reply.inputs as TensorSpec[],
      reply.outputNames,
    );
  } catch (e) {
    await worker.terminate();
    throw e;
  }
};
