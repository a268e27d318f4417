/**
 * Several sessions of one model behind one ModelRunner, each in its own worker thread, fed from one queue.
 *
 * Why: this model is small, and onnxruntime's intra-op threads scale poorly on it — measured on the 2-core
 * reference machine, one session with 2 threads runs ~210 frames/s, one with 1 thread ~190, and two 1-thread sessions
 * side by side ~365 together. Intra-op workers also spin between ops, taking the core the agent's own thread
 * (cameras, preprocessing, MQTT) needs, which showed up as 20 ms event-loop stalls. So on the CPU provider the
 * default is one single-threaded session per core (at most MAX_AUTO_SESSIONS, the rest of the cores go to each
 * session's intra-op threads). A GPU provider serialises work on the device anyway: one session.
 *
 * Runs start in submission order (the queue is FIFO and each session takes the next job as soon as it is idle);
 * they may finish out of order across sessions — callers that need order (the pipeline, per camera) chain results.
 */
import { availableParallelism } from 'node:os';
import type { FrameInput, ModelRunner, RunnerOpener, RunOutput, SessionOpenOptions } from './runner.js';

/** Beyond this, extra cores go to intra-op threads: more sessions would only add latency per frame. */
export const MAX_AUTO_SESSIONS = 4;

export type SessionsSetting = number | 'auto';

export interface SessionPlan {
  readonly sessions: number;
  /** Undefined = onnxruntime's default (all cores). */
  readonly intraOpThreads: number | undefined;
}

/**
 * How many sessions to open and with how many threads each, once the first session told us its provider.
 * An explicit `intraOpThreads` is always honoured; an explicit session count is honoured on every provider.
 */
export function planSessions(provider: string, setting: SessionsSetting, intraOpThreads: number | undefined, cores = availableParallelism()): SessionPlan {
  if (setting !== 'auto') return { sessions: setting, intraOpThreads };
  if (provider !== 'cpu') return { sessions: 1, intraOpThreads };
  const sessions = Math.max(1, Math.min(cores, MAX_AUTO_SESSIONS));
  return { sessions, intraOpThreads: intraOpThreads ?? Math.max(1, Math.floor(cores / sessions)) };
}

interface Job {
  readonly frame: FrameInput;
  readonly resolve: (o: RunOutput) => void;
}

class PooledRunner implements ModelRunner {
  private readonly queue: Job[] = [];
  private readonly idle: ModelRunner[];

  constructor(private readonly runners: readonly ModelRunner[]) {
    this.idle = [...runners];
  }

  get parallelism(): number {
    return this.runners.length;
  }
  get provider(): string {
    return this.runners[0]!.provider;
  }
  get attempts(): ModelRunner['attempts'] {
    return this.runners[0]!.attempts;
  }
  get inputs(): ModelRunner['inputs'] {
    return this.runners[0]!.inputs;
  }
  get outputNames(): ModelRunner['outputNames'] {
    return this.runners[0]!.outputNames;
  }

  run(frame: FrameInput): Promise<RunOutput> {
    return new Promise<RunOutput>((resolve) => {
      this.queue.push({ frame, resolve });
      this.drain();
    });
  }

  private drain(): void {
    while (this.queue.length > 0 && this.idle.length > 0) {
      const runner = this.idle.shift()!;
      const job = this.queue.shift()!;
      // A runner never rejects (see ModelRunner), so the session always comes back to the idle list.
      void runner.run(job.frame).then((out) => {
        this.idle.push(runner);
        job.resolve(out);
        this.drain();
      });
    }
  }

  async release(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.release()));
  }
}

/**
 * Opens the model once to learn its provider, then as many more sessions as the plan asks for (in parallel).
 * The first session is reopened when the plan's thread count differs from what it was opened with.
 * One session comes back as is, so a single-session agent pays nothing for the pool.
 */
export async function openPool(
  opener: RunnerOpener,
  model: Uint8Array,
  options: SessionOpenOptions,
  sessions: SessionsSetting,
): Promise<{ runner: ModelRunner; plan: SessionPlan }> {
  let first = await opener(model, options);
  const plan = planSessions(first.provider, sessions, options.intraOpThreads);
  const opts: SessionOpenOptions = {
    ...options,
    // The provider that opened first is the one every session uses: no session may silently fall back to another.
    executionProviders: [first.provider],
    ...(plan.intraOpThreads !== undefined ? { intraOpThreads: plan.intraOpThreads } : {}),
  };
  const opened: ModelRunner[] = [];
  try {
    if (plan.intraOpThreads !== options.intraOpThreads) {
      await first.release();
      first = await opener(model, opts);
    }
    opened.push(first);
    if (plan.sessions === 1) return { runner: first, plan };
    const rest = await Promise.allSettled(Array.from({ length: plan.sessions - 1 }, () => opener(model, opts)));
    for (const r of rest) if (r.status === 'fulfilled') opened.push(r.value);
    const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return { runner: new PooledRunner(opened), plan };
  } catch (e) {
    await Promise.all(opened.map((r) => r.release().catch(() => undefined)));
    throw e;
  }
}
