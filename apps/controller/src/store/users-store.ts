/** Users and their login sessions. A user's visible lines are a JSON column, parsed here. */
import type { Db } from './db.js';
import type { Role, SessionRow, UserRow } from './types.js';

type DbUser = { id: string; username: string; passwordHash: string; role: string; lines: string; createdAt: Date };

const toUser = (u: DbUser): UserRow => ({ ...u, role: u.role as Role, lines: JSON.parse(u.lines) as string[] });

export class UsersStore {
  constructor(private readonly db: Db) {}

  async create(u: UserRow): Promise<void> {
    await this.db.user.create({ data: { ...u, lines: JSON.stringify(u.lines) } });
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
  async updatePassword(userId: string, passwordHash: string): Promise<void> {
    await this.db.user.update({ where: { id: userId }, data: { passwordHash } });
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
