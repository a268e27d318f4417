/**
 * One-time device enrollment tokens. Only the token's sha256 is stored. Trading a token is one transaction: the token
 * is marked used only if it is still pending (not used, not revoked, not expired) and, in the same transaction, the
 * device is created or re-keyed — so two devices racing with one token cannot both get credentials.
 */
import type { Db } from './db.js';
import type { DeviceRow, EnrollmentRow } from './types.js';

export type Consumed = 'created' | 'rekeyed';

export class EnrollmentStore {
  constructor(private readonly db: Db) {}

  async create(row: EnrollmentRow): Promise<void> {
    await this.db.enrollmentToken.create({ data: row });
  }
  find(id: string): Promise<EnrollmentRow | null> {
    return this.db.enrollmentToken.findUnique({ where: { id } });
  }
  findByHash(tokenHash: string): Promise<EnrollmentRow | null> {
    return this.db.enrollmentToken.findUnique({ where: { tokenHash } });
  }
  /** Newest first. */
  list(): Promise<EnrollmentRow[]> {
    return this.db.enrollmentToken.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
  }
  /** Revokes a pending token (a used one stays used); returns the row, or null when it does not exist. */
  async revoke(id: string, at: Date): Promise<EnrollmentRow | null> {
    await this.db.enrollmentToken.updateMany({ where: { id, usedAt: null, revokedAt: null }, data: { revokedAt: at } });
    return this.find(id);
  }

  /**
   * Marks the token used and creates `device` (or gives the existing device of that id its new credential hash and
   * re-enables it), atomically. Null when the token was no longer pending at `at` (the caller re-reads it to say why).
   */
  consume(id: string, at: Date, usedBy: string | null, device: DeviceRow): Promise<Consumed | null> {
    return this.db.$transaction(async (tx) => {
      const taken = await tx.enrollmentToken.updateMany({
        where: { id, usedAt: null, revokedAt: null, expiresAt: { gt: at } },
        data: { usedAt: at, usedBy },
      });
      if (taken.count !== 1) return null;
      const existing = await tx.device.findUnique({ where: { id: device.id } });
      if (!existing) {
        await tx.device.create({ data: device });
        return 'created';
      }
      await tx.device.update({
        where: { id: device.id },
        data: { credentialHash: device.credentialHash, disabledAt: null },
      });
      return 'rekeyed';
    });
  }
}
