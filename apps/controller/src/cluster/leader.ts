/**
 * Leader election among controller replicas on one database: every `renewMs` each replica tries to take or renew the
 * lease (store/leases-store.ts). The holder runs the singletons; the others keep trying, so when the leader dies its
 * lease expires (`ttlMs`) and the next attempt of another replica takes it over with a higher fence.
 *
 * A leader that cannot renew steps down by itself before the lease can expire: a watchdog armed at each successful
 * renewal fires `ttlMs - renewMs` after that renewal was sent (measured on this process's monotonic clock, so clock
 * offsets between machines do not matter), even while a database call hangs.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { LeasesStore, PreviousHolder } from '../store/leases-store.js';

export interface LeaderOptions {
  /** The lease row (one singleton group). */
  name: string;
  replicaId: string;
  ttlMs: number;
  renewMs: number;
  /**
   * At start only, take the lease even from a live holder (SQLite: one process, so any other holder is a dead
   * predecessor). Later attempts never preempt: a replica that was itself preempted does not take the lease back.
   */
  preempt: boolean;
}

export interface LeaderHooks {
  /** Start the singletons; a throw gives the lease up again (another replica may do better). */
  elected(fence: number): Promise<void>;
  /** Stop the singletons (waits for work in flight). */
  deposed(): Promise<void>;
}

export class LeaderLease {
  /** The fence the database last granted us (null: not ours, as far as we know). */
  private leaseFence: number | null = null;
  private leaseFrom: PreviousHolder | null = null;
  /** The fence the running singletons were started with; transitions move it to `leaseFence`. */
  private fenceHeld: number | null = null;
  private heldFrom: PreviousHolder | null = null;
  private timer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private attempt: Promise<void> | null = null;
  /** Transitions never overlap, and attempts never wait for one (starting singletons may outlast a renewal). */
  private transitions: Promise<void> = Promise.resolve();
  private halted = false;
  private started = false;

  constructor(
    private readonly leases: Pick<LeasesStore, 'acquire' | 'holds' | 'release'>,
    private readonly log: FastifyBaseLogger,
    readonly opts: LeaderOptions,
    private readonly hooks: LeaderHooks,
  ) {}

  /** The fence this replica's singletons run under; null when they do not run here. */
  get fence(): number | null {
    return this.fenceHeld;
  }

  /** Whom this replica took the lease over from (and when that one last renewed); null on a first take. */
  get takenFrom(): PreviousHolder | null {
    return this.heldFrom;
  }

  /** The first attempt and its transition complete before this returns (a lone replica leads once built). */
  async start(): Promise<void> {
    this.halted = false;
    await this.tryOnce();
    this.started = true;
    await this.transitions;
    this.timer ??= setInterval(() => void this.tryOnce(), this.opts.renewMs);
    this.timer.unref();
  }

  /** Stops renewing and steps down; with `release`, also frees the lease so a successor need not wait for expiry. */
  async stop(opts: { release: boolean }): Promise<void> {
    this.halted = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Bounded: a database call that hangs must not hold up a shutdown (its late answer is ignored once halted).
    await Promise.race([this.attempt, sleep(this.opts.ttlMs)]);
    this.clearWatchdog();
    const fence = this.leaseFence;
    this.leaseFence = null;
    await this.reconcile(opts.release ? 'shutting down' : 'halted without releasing the lease');
    if (opts.release && fence !== null) {
      await this.leases
        .release(this.opts.name, this.opts.replicaId, fence)
        .catch((err: unknown) => this.log.warn({ err }, 'leader lease not released; it expires by itself'));
    }
  }

  /** True while the database says this replica holds the lease with the fence its singletons run under. */
  async holds(): Promise<boolean> {
    const fence = this.fenceHeld;
    return fence !== null && this.leases.holds(this.opts.name, this.opts.replicaId, fence);
  }

  private tryOnce(): Promise<void> {
    this.attempt ??= this.acquireOrRenew().finally(() => {
      this.attempt = null;
    });
    return this.attempt;
  }

  private async acquireOrRenew(): Promise<void> {
    const sentAt = performance.now();
    let row;
    try {
      row = await this.leases.acquire(this.opts.name, this.opts.replicaId, {
        ttlMs: this.opts.ttlMs,
        preempt: this.opts.preempt && !this.started,
      });
    } catch (err) {
      // The watchdog steps a leader down if this goes on; a follower just tries again.
      this.log.warn({ err, replicaId: this.opts.replicaId }, 'leader lease attempt failed');
      return;
    }
    if (this.halted) return;
    if (row === null) {
      this.clearWatchdog();
      this.leaseFence = null;
      void this.reconcile('another replica holds the lease');
      return;
    }
    // Counted from when the renewal was sent: the database set the expiry no earlier than that.
    this.armWatchdog(sentAt);
    if (row.fence !== this.leaseFence) {
      this.leaseFence = row.fence;
      this.leaseFrom = row.takenFrom;
      void this.reconcile('lease taken with a new fence');
    }
  }

  private armWatchdog(sentAt: number): void {
    this.clearWatchdog();
    const dueInMs = sentAt + this.opts.ttlMs - this.opts.renewMs - performance.now();
    this.watchdog = setTimeout(
      () => {
        this.leaseFence = null;
        void this.reconcile('lease not renewed in time');
      },
      Math.max(0, dueInMs),
    );
    this.watchdog.unref();
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  /** Brings the running singletons in line with the lease: stop them, start them, or both (a new fence). */
  private reconcile(reason: string): Promise<void> {
    const run = this.transitions.then(async () => {
      if (this.fenceHeld === this.leaseFence) return;
      await this.stepDown(reason);
      const fence = this.leaseFence;
      if (fence !== null && !this.halted) await this.becomeLeader(fence);
    });
    this.transitions = run.catch((err: unknown) => this.log.error({ err }, 'leadership transition failed'));
    return this.transitions;
  }

  private async becomeLeader(fence: number): Promise<void> {
    this.fenceHeld = fence;
    this.heldFrom = this.leaseFrom;
    this.log.info({ replicaId: this.opts.replicaId, fence }, 'became leader');
    try {
      await this.hooks.elected(fence);
    } catch (err) {
      this.log.error({ err, replicaId: this.opts.replicaId, fence }, 'singletons failed to start; giving up the lease');
      this.leaseFence = null;
      this.clearWatchdog();
      await this.stepDown('singletons failed to start');
      await this.leases.release(this.opts.name, this.opts.replicaId, fence).catch(() => false);
    }
  }

  private async stepDown(reason: string): Promise<void> {
    const fence = this.fenceHeld;
    if (fence === null) return;
    this.fenceHeld = null;
    this.log.info({ replicaId: this.opts.replicaId, fence, reason }, 'lost leadership');
    await this.hooks.deposed();
  }
}
