/**
 * Leader leases for controller replicas: one row per singleton group naming the replica that runs it (`holder`),
 * until when (`expiresAt`), and a fencing token (`fence`) that grows at every change of holder. Every change is one
 * single conditional statement (renew, take over, or a first insert on the primary key), so two contenders can never
 * both hold a lease. No interactive transaction: those queue on SQLite's one connection and time out under load.
 *
 * Time is the database's (`dbNow`): on PostgreSQL the server clock, so replicas with skewed clocks agree on when a
 * lease expired; on SQLite (one machine) the process clock.
 */
import type { Db } from './db.js';
import { isUniqueViolation } from './unique-violation.js';

export interface LeaseRow {
  name: string;
  holder: string;
  fence: number;
  expiresAt: Date;
  updatedAt: Date;
}

/** The holder before a takeover and its last renewal (or release): its singletons ran at most until a little after. */
export interface PreviousHolder {
  holder: string;
  renewedAt: Date;
}

export interface AcquiredLease extends LeaseRow {
  /** Set on the acquire that took the lease over from a holder; null on a renewal or the very first take. */
  takenFrom: PreviousHolder | null;
}

export interface AcquireOptions {
  ttlMs: number;
  /** Take the lease even from a live holder (single-process SQLite: any other holder is a dead predecessor). */
  preempt?: boolean;
}

/** Milliseconds since the epoch by the database's clock. */
export type DbNow = () => Promise<number>;

export class LeasesStore {
  constructor(
    private readonly db: Db,
    private readonly dbNow: DbNow,
  ) {}

  /** The database's clock, as a Date (what expiry is measured against). */
  async now(): Promise<Date> {
    return new Date(await this.dbNow());
  }

  get(name: string): Promise<LeaseRow | null> {
    return this.db.lease.findUnique({ where: { name } });
  }

  /**
   * Renews the lease when `holder` still holds it unexpired (same fence), or takes it over when it expired (fence + 1;
   * also a first take). Returns the row when `holder` holds it afterwards, null when another replica does.
   */
  async acquire(name: string, holder: string, opts: AcquireOptions): Promise<AcquiredLease | null> {
    const now = await this.now();
    const expiresAt = new Date(now.getTime() + opts.ttlMs);
    const renewed = await this.db.lease.updateMany({
      where: { name, holder, expiresAt: { gt: now } },
      data: { expiresAt, updatedAt: now },
    });
    let takenFrom: PreviousHolder | null = null;
    if (renewed.count === 0) {
      const taken = await this.takeOver(name, holder, now, expiresAt, opts.preempt ?? false);
      if (taken === false) return null;
      takenFrom = taken;
    }
    // What the database says now (another replica can only have taken it if the whole ttl passed meanwhile).
    const row = await this.get(name);
    return row?.holder === holder ? { ...row, takenFrom } : null;
  }

  /**
   * Takes an expired (or, with preempt, any) lease with fence + 1 and returns who held it, or creates it (null);
   * false when another replica holds it.
   */
  private async takeOver(
    name: string,
    holder: string,
    now: Date,
    expiresAt: Date,
    preempt: boolean,
  ): Promise<PreviousHolder | null | false> {
    const before = await this.get(name);
    const taken = await this.db.lease.updateMany({
      where: { name, ...(preempt ? {} : { expiresAt: { lte: now } }) },
      data: { holder, fence: { increment: 1 }, expiresAt, updatedAt: now },
    });
    if (taken.count === 1) return before && { holder: before.holder, renewedAt: before.updatedAt };
    try {
      await this.db.lease.create({ data: { name, holder, fence: 1, expiresAt, updatedAt: now } });
      return null;
    } catch (e) {
      // The row exists (live, another holder), or a concurrent first contender created it first.
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  /** True while `holder` holds the lease with this fence and it has not expired (the fencing check). */
  async holds(name: string, holder: string, fence: number): Promise<boolean> {
    const now = await this.now();
    return (await this.db.lease.count({ where: { name, holder, fence, expiresAt: { gt: now } } })) === 1;
  }

  /** Gives the lease up at once (a clean shutdown), so another replica need not wait for the expiry. */
  async release(name: string, holder: string, fence: number): Promise<boolean> {
    const now = await this.now();
    const r = await this.db.lease.updateMany({
      where: { name, holder, fence },
      data: { expiresAt: now, updatedAt: now },
    });
    return r.count === 1;
  }
}
