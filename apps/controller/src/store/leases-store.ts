/**
 * Leader leases for controller replicas: one row per singleton group naming the replica that runs it (`holder`),
 * until when (`expiresAt`), and a fencing token (`fence`) that grows at every change of holder. Every change is one
 * conditional update inside a transaction, so two contenders can never both hold a lease.
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
  async acquire(name: string, holder: string, opts: AcquireOptions): Promise<LeaseRow | null> {
    const now = await this.now();
    const expiresAt = new Date(now.getTime() + opts.ttlMs);
    try {
      return await this.db.$transaction(async (tx) => {
        const renewed = await tx.lease.updateMany({
          where: { name, holder, expiresAt: { gt: now } },
          data: { expiresAt, updatedAt: now },
        });
        if (renewed.count === 0) {
          const takeable = opts.preempt ? {} : { expiresAt: { lte: now } };
          const taken = await tx.lease.updateMany({
            where: { name, ...takeable },
            data: { holder, fence: { increment: 1 }, expiresAt, updatedAt: now },
          });
          if (taken.count === 0) {
            if (await tx.lease.findUnique({ where: { name } })) return null;
            await tx.lease.create({ data: { name, holder, fence: 1, expiresAt, updatedAt: now } });
          }
        }
        return tx.lease.findUnique({ where: { name } });
      });
    } catch (e) {
      // Two first-ever contenders both created the row: the other one won.
      if (isUniqueViolation(e)) return null;
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
