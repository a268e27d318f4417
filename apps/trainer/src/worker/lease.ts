/**
 * Keeps a job's lease alive while the pipeline works, and stops the work when the lease is gone.
 *
 * Heartbeats go out on a timer (a third of the lease, capped) and right away when the phase changes, each carrying
 * the latest progress. Training runs in awaited onnxruntime steps, so the timer gets its turn between steps. When the
 * controller answers 'lost' (or heartbeats keep failing for longer than the lease), `check()` throws
 * LW_TRAINER_LEASE_LOST; the progress adapter calls it on every tick, so a worker that lost its job stops within one
 * training step instead of finishing and uploading work somebody else now owns.
 */
import { TrainerError } from '../errors.js';
import type { Progress, ProgressExtra } from '../progress.js';
import type { ClaimedJob, JobIO, JobPhase, JobProgress } from './types.js';

export interface LeaseOptions {
  /** Heartbeat period (ms); default min(lease / 3, 10 s). */
  readonly intervalMs?: number;
  readonly now?: () => number;
  /** Transport errors are logged here and retried on the next beat. */
  readonly onError?: (e: unknown) => void;
  /** Aborted = the worker is stopping: `check()` throws the signal's reason. */
  readonly signal?: AbortSignal;
}

export class LeaseKeeper {
  private progress: JobProgress = { phase: 'download', epoch: null, epochs: null, loss: null, etaS: null };
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private lostReason: string | null = null;
  private lastOk: number;
  private readonly now: () => number;
  readonly intervalMs: number;
  /** Heartbeats the controller accepted (tests and logs). */
  beats = 0;

  constructor(
    private readonly job: ClaimedJob,
    private readonly io: Pick<JobIO, 'heartbeat'>,
    private readonly opts: LeaseOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.lastOk = this.now();
    this.intervalMs = opts.intervalMs ?? Math.max(50, Math.min(Math.floor(job.leaseMs / 3), 10_000));
  }

  /** Beats at once (the UI learns the job started) and then on the timer. */
  start(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get lost(): boolean {
    return this.lostReason !== null;
  }

  /** Throws LW_TRAINER_LEASE_LOST once the controller has taken the job back (or the abort reason when stopping). */
  check(): void {
    this.opts.signal?.throwIfAborted();
    if (this.lostReason !== null) {
      throw new TrainerError('LW_TRAINER_LEASE_LOST', `job ${this.job.id}: ${this.lostReason}; stopped`, {
        jobId: this.job.id,
      });
    }
  }

  /** Records progress; a phase change is reported at once (the UI shows phases live), the rest on the timer. */
  update(p: JobProgress): void {
    const phaseChanged = p.phase !== this.progress.phase;
    this.progress = p;
    if (phaseChanged) void this.beat();
    this.check();
  }

  get current(): JobProgress {
    return this.progress;
  }

  /**
   * A heartbeat carrying the latest progress; resolves when it has been answered. Never two on the wire at once: a
   * call while one is in flight queues (at most) one more, sent with whatever progress is current by then.
   */
  beat(): Promise<void> {
    if (this.inFlight) {
      this.queued ??= this.inFlight.then(() => {
        this.queued = null;
        return this.send();
      });
      return this.queued;
    }
    return this.send();
  }

  private send(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.lostReason !== null) return Promise.resolve();
    const sent = this.progress;
    this.inFlight = this.io
      .heartbeat(this.job, sent)
      .then((answer) => {
        if (answer === 'lost')
          this.lostReason = 'the controller says the lease is gone (expired or held by another worker)';
        else {
          this.beats++;
          this.lastOk = this.now();
        }
      })
      .catch((e: unknown) => {
        this.opts.onError?.(e);
        // Unreachable for longer than the lease: the controller has re-queued the job by now.
        if (this.now() - this.lastOk > this.job.leaseMs)
          this.lostReason = `no heartbeat accepted for ${this.now() - this.lastOk} ms (lease ${this.job.leaseMs} ms)`;
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }
}

function phaseOf(label: string): JobPhase {
  if (label === 'features') return 'features';
  if (label === 'eval' || label === 'metrics') return 'evaluate';
  if (label.startsWith('train') || label.startsWith('fine-tune')) return 'train';
  return 'package';
}

function numberOf(v: string | number | undefined): number | null {
  if (v === undefined) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * A Progress that feeds the lease (phase, epoch, loss, ETA) and forwards to the terminal's progress bar. The training
 * code reports `{ epoch: '3/6', loss: '0.1234' }` on each step; anything else only updates the counts.
 */
export function leaseProgress(
  lease: LeaseKeeper,
  forward: Progress,
  now: () => number = () => performance.now(),
): Progress & { setPhase(p: JobPhase): void } {
  let total = 0,
    count = 0,
    t0 = now();
  let phase: JobPhase = lease.current.phase;
  let epoch: number | null = null,
    epochs: number | null = null,
    loss: number | null = null;
  const push = (): void => {
    const elapsedS = (now() - t0) / 1000;
    const etaS = count > 0 && total > 0 ? Math.max(0, (elapsedS / count) * (total - count)) : null;
    lease.update({ phase, epoch, epochs, loss, etaS: etaS === null ? null : Math.round(etaS * 10) / 10 });
  };
  return {
    setPhase(p) {
      phase = p;
      total = 0;
      count = 0;
      t0 = now();
      epoch = epochs = loss = null;
      push();
    },
    start(n, label) {
      phase = phaseOf(label);
      total = n;
      count = 0;
      t0 = now();
      if (phase !== 'train') epoch = epochs = loss = null;
      forward.start(n, label);
      push();
    },
    tick(n = 1, extra?: ProgressExtra) {
      count += n;
      const e = extra?.['epoch'];
      if (typeof e === 'string' && e.includes('/')) {
        const [a, b] = e.split('/');
        epoch = numberOf(a);
        epochs = numberOf(b);
      }
      const l = numberOf(extra?.['loss']);
      if (l !== null) loss = l;
      forward.tick(n, extra);
      push();
    },
    done() {
      forward.done();
    },
    log(line) {
      forward.log(line);
    },
  };
}
