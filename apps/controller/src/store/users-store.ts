/** Users and their login sessions. A user's visible lines are a JSON column, parsed here. */
import type { Db } from './db.js';
import type { NewUser, Role, SessionRow, UserRow } from './types.js';

type DbUser = {
  id: string;
  username: string;
  passwordHash: string;
  role: string;
  lines: string;
  createdAt: Date;
  mustChangePassword: boolean;
};

const toUser = (u: DbUser): UserRow => ({ ...u, role: u.role as Role, lines: JSON.parse(u.lines) as string[] });

export class UsersStore {
  constructor(private readonly db: Db) {}

  async create(u: NewUser): Promise<void> {
    await this.db.user.create({
      data: { ...u, lines: JSON.stringify(u.lines), mustChangePassword: u.mustChangePassword ?? false },
    });
  }
  async list(): Promise<UserRow[]> {
    return (await this.db.user.findMany({ orderBy: { username: 'asc' } })).map(toUser);
  }
  async findByName(username: string): Promise<UserRow | null> {
    const u = await this.db.user.findUnique({ where: { username } });
    return u && toUser(u);
  }
  async find(id: string): Promise<UserRow | null> {
    const u = await this.db.user.findUnique({ where: { id } });
    return u && toUser(u);
  }
  count(): Promise<number> {
    return this.db.user.count();
  }
  /** `mustChange`: the new password is one-time (an admin's reset); false when the user chose it. */
  async updatePassword(userId: string, passwordHash: string, mustChange = false): Promise<void> {
    await this.db.user.update({ where: { id: userId }, data: { passwordHash, mustChangePassword: mustChange } });
  }
  /** Role and/or visible lines; returns the updated user, or null when it does not exist. */
  async update(userId: string, patch: { role?: Role; lines?: string[] }): Promise<UserRow | null> {
    const data = {
      ...(patch.role !== undefined && { role: patch.role }),
      ...(patch.lines !== undefined && { lines: JSON.stringify(patch.lines) }),
    };
    const n = await this.db.user.updateMany({ where: { id: userId }, data });
    return n.count === 0 ? null : this.find(userId);
  }
}

export class SessionsStore {
  constructor(private readonly db: Db) {}

  async create(s: SessionRow): Promise<void> {
    await this.db.session.create({ data: s });
  }
  find(id: string): Promise<SessionRow | null> {
    return this.db.session.findUnique({ where: { id } });
  }
  async delete(id: string): Promise<void> {
    await this.db.session.deleteMany({ where: { id } });
  }
  async deleteExpired(now: Date): Promise<number> {
    return (await this.db.session.deleteMany({ where: { expiresAt: { lte: now } } })).count;
  }
  /** Ends every session of the user except `keepId`. */
  async deleteForUser(userId: string, keepId?: string): Promise<number> {
    const where = keepId === undefined ? { userId } : { userId, id: { not: keepId } };
    return (await this.db.session.deleteMany({ where })).count;
  }
}
