/**
 * Controller replicas (issue 18): every replica serves HTTP, ingest (shared MQTT subscriptions) and sessions from the
 * shared database; exactly one — the holder of the `controller` leader lease — runs the singletons. build() creates
 * the cluster with the singletons, starts it once the app is ready, and stops it (releasing the lease) on close.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import { LeaderLease } from './leader.js';
import type { PreviousHolder } from '../store/leases-store.js';
import type { Singletons } from './singletons.js';

export { Singletons, intervalSingleton, type Singleton } from './singletons.js';

/** The lease the controller's singletons run under. */
export const LEADER_LEASE = 'controller';

export interface Cluster {
  readonly replicaId: string;
  /** True while this replica's singletons run (it holds the lease, as of its last renewal). */
  readonly isLeader: boolean;
  /** The fencing token this replica leads with; null when it does not lead. */
  readonly fence: number | null;
  /** While leading: the replica this one took the lease over from, and its last renewal (null on a first take). */
  readonly takenFrom: PreviousHolder | null;
  /** Names of the singletons, in start order. */
  readonly singletons: string[];
  /** Throws LW_CTRL_NOT_LEADER unless the database says this replica still leads with its fence. */
  assertLeader(): Promise<void>;
  start(): Promise<void>;
  /** Clean shutdown: stop the singletons, release the lease. */
  stop(): Promise<void>;
  /** As if the process died (kill -9): renewals and singletons stop, the lease stays until it expires. */
  halt(): Promise<void>;
}

export function defaultReplicaId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function createCluster(ctx: Ctx, singletons: Singletons): Cluster {
  const { cluster: cfg } = ctx.config;
  const replicaId = cfg.replicaId ?? defaultReplicaId();
  const lease = new LeaderLease(
    ctx.store.leases,
    ctx.log,
    {
      name: LEADER_LEASE,
      replicaId,
      ttlMs: cfg.leaseTtlMs,
      renewMs: cfg.renewMs,
      preempt: ctx.store.provider === 'sqlite',
    },
    { elected: () => singletons.startAll(), deposed: () => singletons.stopAll() },
  );
  return {
    replicaId,
    get isLeader() {
      return lease.fence !== null;
    },
    get fence() {
      return lease.fence;
    },
    get takenFrom() {
      return lease.takenFrom;
    },
    get singletons() {
      return singletons.names;
    },
    async assertLeader() {
      if (!(await lease.holds()))
        throw ctrlError('LW_CTRL_NOT_LEADER', `replica ${replicaId} no longer holds the leader lease`);
    },
    start: () => lease.start(),
    stop: () => lease.stop({ release: true }),
    halt: () => lease.stop({ release: false }),
  };
}
