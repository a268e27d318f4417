/**
 * Several sessions of one model behind one ModelRunner, each in its own worker thread, fed from one queue.
 *
 * Why: this model is small, and onnxruntime's intra-op threads scale poorly on it — measured on the 2-core
 * reference machine, one session with 2 threads runs ~210 frames/s, one with 1 thread ~190, and two 1-thread sessions
 * side by side ~365 together. Intra-op workers also spin between ops, taking the core the agent's own thread
 * (cameras, MQTT, acks) needs, which showed up as 20 ms event-loop stalls. So on the CPU provider the
 * default is one single-threaded session per core (at most MAX_AUTO_SESSIONS, the rest of the cores go to each
 * session's intra-op threads). A GPU provider serialises work on the device anyway: one session.
 *
 * Runs start in submission order (the queue is FIFO and the most recently idle session takes the next job);
 * they may finish out of order across sessions — callers that need order (the pipeline, per camera) chain results.
 */
import { availableParallelism } from 'node:os';
import type { ExecutionProvider } from '@linewatch/protocol';
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
export function planSessions(
  provider: string,
  setting: SessionsSetting,
  intraOpThreads: number | undefined,
  cores = availableParallelism(),
): SessionPlan {
  if (setting !== 'auto') return { sessions: setting, intraOpThreads };
  if (provider !== 'cpu') return { sessions: 1, intraOpThreads };
  const sessions = Math.max(1, Math.min(cores, MAX_AUTO_SESSIONS));
  return { sessions, intraOpThreads: intraOpThreads ?? Math.max(1, Math.floor(cores / sessions)) };
}

/** What the pool tells its owner about sessions that die and come back. */
export interface SessionEvents {
  /** A session's worker died (it is being reopened), or reopening it failed (retried with backoff). */
  lost(reason: string): void;
  /** Every session is open again. */
  restored(): void;
}

interface Job {
  readonly frame: FrameInput;
  readonly resolve: (o: RunOutput) => void;
}

/** Backoff before reopening a session whose worker died: doubles per failed attempt, up to the max. */
export const RESPAWN_MIN_MS = 200;
export const RESPAWN_MAX_MS = 30_000;

class PooledRunner implements ModelRunner {
  private readonly queue: Job[] = [];
  private readonly idle: ModelRunner[];
  private readonly runners: ModelRunner[];
  private released = false;
  private respawning: Promise<void> | undefined;
  private respawnDelay = RESPAWN_MIN_MS;
  /** Ends the backoff wait early (release). */
  private cancelWait: (() => void) | undefined;
  /** The session the pool was opened with describes it even after it was replaced. */
  private readonly first: ModelRunner;

  constructor(
    runners: readonly ModelRunner[],
    private readonly size: number,
    /** Opens one more session like the others (used to replace a dead one). */
    private readonly reopen: () => Promise<ModelRunner>,
    private readonly events: SessionEvents,
  ) {
    this.runners = [...runners];
    this.idle = [...runners];
    this.first = runners[0]!;
  }

  get parallelism(): number {
    return this.size;
  }
  get provider(): ExecutionProvider {
    return this.first.provider;
  }
  get attempts(): ModelRunner['attempts'] {
    return this.first.attempts;
  }
  get inputs(): ModelRunner['inputs'] {
    return this.first.inputs;
  }
  get outputNames(): ModelRunner['outputNames'] {
    return this.first.outputNames;
  }

  run(frame: FrameInput): Promise<RunOutput> {
    if (this.released) return Promise.resolve({ ok: false, pixels: frame.pixels, reason: 'model was released' });
    return new Promise<RunOutput>((resolve) => {
      this.queue.push({ frame, resolve });
      this.drain();
    });
  }

  private drain(): void {
    while (this.queue.length > 0 && this.idle.length > 0) {
      // The session that finished last (LIFO): at line rate one session then takes every frame that does not
      // overlap another, its thread and caches stay warm, and the other sessions only wake for overlapping frames.
      const runner = this.idle.pop()!;
      const job = this.queue.shift()!;
      // A runner never rejects (see ModelRunner), so the session always comes back — or is replaced if it died.
      void runner.run(job.frame).then((out) => {
        job.resolve(out);
        if (runner.dead !== undefined) this.lose(runner, runner.dead);
        else this.idle.push(runner);
        this.drain();
      });
    }
  }

  /** A session's worker died (crash, out of memory): drop it and open a replacement in the background. */
  private lose(runner: ModelRunner, reason: string): void {
    const i = this.runners.indexOf(runner);
    if (i < 0) return;
    this.runners.splice(i, 1);
    void runner.release().catch(() => undefined);
    if (this.released) return;
    this.events.lost(reason);
    this.respawning ??= this.respawn().finally(() => {
      this.respawning = undefined;
    });
  }

  /** Reopens sessions until the pool is full again; while none is alive, queued frames fail instead of waiting. */
  private async respawn(): Promise<void> {
    while (!this.released && this.runners.length < this.size) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, this.respawnDelay);
        this.cancelWait = () => {
          clearTimeout(t);
          r();
        };
      });
      this.cancelWait = undefined;
      if (this.released) return;
      try {
        const next = await this.reopen();
        if (this.released) {
          await next.release();
          return;
        }
        this.runners.push(next);
        this.idle.push(next);
        this.respawnDelay = RESPAWN_MIN_MS;
        this.drain();
        if (this.runners.length === this.size) this.events.restored();
      } catch (e) {
        this.respawnDelay = Math.min(RESPAWN_MAX_MS, this.respawnDelay * 2);
        const reason = `cannot reopen the inference session: ${e instanceof Error ? e.message : String(e)}`;
        this.events.lost(reason);
        if (this.runners.length === 0) this.failQueued(reason);
      }
    }
  }

  private failQueued(reason: string): void {
    for (const job of this.queue.splice(0)) job.resolve({ ok: false, pixels: job.frame.pixels, reason });
  }

  async release(): Promise<void> {
    this.released = true;
    this.cancelWait?.();
    this.failQueued('model was released');
    await Promise.all(this.runners.splice(0).map((r) => r.release()));
  }
}

/**
 * Opens the model once to learn its provider, then as many more sessions as the plan asks for (in parallel).
 * The first session is reopened when the plan's thread count differs from what it was opened with. Even a single
 * session is wrapped, so a session whose worker dies is reopened (with backoff) instead of failing every later frame.
 */
export async function openPool(
  opener: RunnerOpener,
  model: Uint8Array,
  options: SessionOpenOptions,
  sessions: SessionsSetting,
  events: SessionEvents = { lost: () => undefined, restored: () => undefined },
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
    const rest = await Promise.allSettled(Array.from({ length: plan.sessions - 1 }, () => opener(model, opts)));
    for (const r of rest) if (r.status === 'fulfilled') opened.push(r.value);
    const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return { runner: new PooledRunner(opened, plan.sessions, () => opener(model, opts), events), plan };
  } catch (e) {
    await Promise.all(opened.map((r) => r.release().catch(() => undefined)));
    throw e;
  }
}
