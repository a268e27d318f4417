/**
 * Store implementation on a generated prisma client. Both generated clients (sqlite, postgresql) come from the same
 * schema, so their model APIs are identical; we program against the sqlite client's types and accept either.
 */
import type { PrismaClient } from '../generated/sqlite/client.js';
import { isUniqueViolation } from './unique-violation.js';
import type {
  DeviceRow,
  EventFilter,
  EventRow,
  FleetPatch,
  FleetRow,
  LabelStatus,
  MaskRow,
  NewEvent,
  Role,
  ScoreAggregateRow,
  SessionRow,
  Store,
  UserRow,
} from './types.js';

type DbUser = { id: string; username: string; passwordHash: string; role: string; lines: string; createdAt: Date };
type DbFleet = Omit<FleetRow, 'status' | 'health'> & { status: string | null; health: string | null };

const toUser = (u: DbUser): UserRow => ({ ...u, role: u.role as Role, lines: JSON.parse(u.lines) as string[] });
const toEvent = (e: Omit<EventRow, 'labelStatus'> & { labelStatus: string }): EventRow => ({
  ...e,
  labelStatus: e.labelStatus as LabelStatus,
});
const parseJson = (s: string | null): unknown => (s === null ? null : JSON.parse(s));
const toFleet = (f: DbFleet): FleetRow => ({ ...f, status: parseJson(f.status), health: parseJson(f.health) });

export class PrismaStore implements Store {
  constructor(
    readonly provider: 'sqlite' | 'postgresql',
    private readonly db: PrismaClient,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  get prisma(): PrismaClient {
    return this.db;
  }

  async createUser(u: UserRow): Promise<void> {
    await this.db.user.create({ data: { ...u, lines: JSON.stringify(u.lines) } });
  }
  async findUserByName(username: string): Promise<UserRow | null> {
    const u = await this.db.user.findUnique({ where: { username } });
    return u && toUser(u);
  }
  async findUser(id: string): Promise<UserRow | null> {
    const u = await this.db.user.findUnique({ where: { id } });
    return u && toUser(u);
  }
  countUsers(): Promise<number> {
    return this.db.user.count();
  }

  async updatePassword(userId: string, passwordHash: string): Promise<void> {
    await this.db.user.update({ where: { id: userId }, data: { passwordHash } });
  }

  async createSession(s: SessionRow): Promise<void> {
    await this.db.session.create({ data: s });
  }
  findSession(id: string): Promise<SessionRow | null> {
    return this.db.session.findUnique({ where: { id } });
  }
  async deleteSession(id: string): Promise<void> {
    await this.db.session.deleteMany({ where: { id } });
  }
  async deleteExpiredSessions(now: Date): Promise<number> {
    return (await this.db.session.deleteMany({ where: { expiresAt: { lte: now } } })).count;
  }

  async deleteUserSessions(userId: string, keepId?: string): Promise<number> {
    const where = keepId === undefined ? { userId } : { userId, id: { not: keepId } };
    return (await this.db.session.deleteMany({ where })).count;
  }

  async createDevice(d: DeviceRow): Promise<void> {
    await this.db.device.create({ data: d });
  }
  findDevice(id: string): Promise<DeviceRow | null> {
    return this.db.device.findUnique({ where: { id } });
  }
  async disableDevice(id: string, at: Date): Promise<DeviceRow | null> {
    // Only the first disable sets the time; later calls return the row unchanged.
    await this.db.device.updateMany({ where: { id, disabledAt: null }, data: { disabledAt: at } });
    return this.findDevice(id);
  }
  listDevices(visibleLines?: string[]): Promise<DeviceRow[]> {
    return this.db.device.findMany({
      where: visibleLines ? { line: { in: visibleLines } } : {},
      orderBy: { id: 'asc' },
    });
  }

  async insertEventOnce(e: NewEvent): Promise<{ created: boolean; event: EventRow }> {
    try {
      const row = await this.db.event.create({ data: { ...e, labelStatus: 'pending' } });
      return { created: true, event: toEvent(row) };
    } catch (err) {
      // Redelivery (QoS1 at-least-once): the unique (deviceId, sequence) index makes the second insert fail.
      if (!isUniqueViolation(err)) throw err;
      const row = await this.db.event.findUnique({
        where: { deviceId_sequence: { deviceId: e.deviceId, sequence: e.sequence } },
      });
      if (!row) throw err;
      return { created: false, event: toEvent(row) };
    }
  }
  async getEvent(id: string): Promise<EventRow | null> {
    const row = await this.db.event.findUnique({ where: { id } });
    return row && toEvent(row);
  }
  async listEvents(f: EventFilter): Promise<EventRow[]> {
    const and: object[] = [];
    if (f.visibleLines) and.push({ line: { in: f.visibleLines } });
    if (f.before) and.push({ OR: [{ ts: { lt: f.before.ts } }, { ts: f.before.ts, id: { lt: f.before.id } }] });
    const score: { gte?: number; lte?: number } = {};
    if (f.minScore !== undefined) score.gte = f.minScore;
    if (f.maxScore !== undefined) score.lte = f.maxScore;
    const rows = await this.db.event.findMany({
      where: {
        AND: and,
        ...(f.line !== undefined && { line: f.line }),
        ...(f.camera !== undefined && { camera: f.camera }),
        ...(f.deviceId !== undefined && { deviceId: f.deviceId }),
        ...(f.modelVersion !== undefined && { modelVersion: f.modelVersion }),
        ...(f.status !== undefined && { labelStatus: f.status }),
        ...(Object.keys(score).length > 0 && { score }),
      },
      orderBy: [{ ts: 'desc' }, { id: 'desc' }],
      take: f.limit,
    });
    return rows.map(toEvent);
  }
  async labelEvent(id: string, status: LabelStatus, reviewerId: string, at: Date): Promise<EventRow | null> {
    const { count } = await this.db.event.updateMany({
      where: { id },
      data: { labelStatus: status, reviewerId, reviewedAt: at },
    });
    return count === 0 ? null : this.getEvent(id);
  }
  async saveMask(m: MaskRow): Promise<void> {
    await this.db.mask.upsert({ where: { eventId: m.eventId }, create: m, update: m });
  }
  getMask(eventId: string): Promise<MaskRow | null> {
    return this.db.mask.findUnique({ where: { eventId } });
  }

  async eventsWithMasks(eventIds: string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = await this.db.mask.findMany({ where: { eventId: { in: eventIds } }, select: { eventId: true } });
    return new Set(rows.map((r) => r.eventId));
  }

  async labelStats(visibleLines?: string[]): Promise<Array<{ line: string; status: LabelStatus; count: number }>> {
    const rows = await this.db.event.groupBy({
      by: ['line', 'labelStatus'],
      where: visibleLines ? { line: { in: visibleLines } } : {},
      _count: { _all: true },
    });
    return rows
      .map((r) => ({ line: r.line, status: r.labelStatus as LabelStatus, count: r._count._all }))
      .sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : a.status < b.status ? -1 : a.status > b.status ? 1 : 0));
  }

  async addScoreAggregates(rows: ScoreAggregateRow[]): Promise<void> {
    if (rows.length === 0) return;
    // One transaction per flush. Read-then-write for `max` (prisma has no portable GREATEST); the controller has
    // one flusher per process, and replicas split devices, so rows for one key are not written concurrently.
    await this.db.$transaction(async (tx) => {
      for (const r of rows) {
        const key = { deviceId: r.deviceId, camera: r.camera, minute: r.minute };
        const cur = await tx.scoreAggregate.findUnique({ where: { deviceId_camera_minute: key } });
        if (!cur) await tx.scoreAggregate.create({ data: r });
        else
          await tx.scoreAggregate.update({
            where: { deviceId_camera_minute: key },
            data: {
              count: { increment: r.count },
              sum: { increment: r.sum },
              flagged: { increment: r.flagged },
              max: Math.max(cur.max, r.max),
            },
          });
      }
    });
  }
  listScoreAggregates(deviceId: string, from: Date, to: Date): Promise<ScoreAggregateRow[]> {
    return this.db.scoreAggregate.findMany({
      where: { deviceId, minute: { gte: from, lt: to } },
      orderBy: [{ minute: 'asc' }, { camera: 'asc' }],
    });
  }

  async upsertFleet(deviceId: string, patch: FleetPatch, now: Date): Promise<void> {
    const data = {
      ...patch,
      ...(patch.status !== undefined && { status: JSON.stringify(patch.status) }),
      ...(patch.health !== undefined && { health: JSON.stringify(patch.health) }),
      updatedAt: now,
    } as Partial<DbFleet> & { lastSeen: Date; updatedAt: Date };
    await this.db.fleetStatus.upsert({
      where: { deviceId },
      create: { online: false, bdSeq: null, agentVersion: null, modelVersion: null, status: null, health: null, ...data, deviceId },
      update: data,
    });
  }
  async getFleet(deviceId: string): Promise<FleetRow | null> {
    const f = await this.db.fleetStatus.findUnique({ where: { deviceId } });
    return f && toFleet(f);
  }
  async listFleet(visibleLines?: string[]): Promise<Array<FleetRow & { line: string; name: string }>> {
    const devices = await this.listDevices(visibleLines);
    const fleet = await this.db.fleetStatus.findMany({ where: { deviceId: { in: devices.map((d) => d.id) } } });
    const byId = new Map(fleet.map((f) => [f.deviceId, toFleet(f)]));
    return devices.flatMap((d) => {
      const f = byId.get(d.id);
      return f ? [{ ...f, line: d.line, name: d.name }] : [];
    });
  }

  async close(): Promise<void> {
    await this.db.$disconnect();
    await this.onClose();
  }
}
