/** Flagged anomaly events (inserted once per device sequence), their QA labels and masks, and label statistics. */
import type { Prisma } from '../generated/sqlite/client.js';
import type { Db } from './db.js';
import { isUniqueViolation } from './unique-violation.js';
import type { EventFilter, EventRow, LabelStatus, MaskClassRow, MaskRow, NewEvent } from './types.js';

const toEvent = (e: Omit<EventRow, 'labelStatus'> & { labelStatus: string }): EventRow => ({
  ...e,
  labelStatus: e.labelStatus as LabelStatus,
});

function eventWhere(f: EventFilter): Prisma.EventWhereInput {
  const and: Prisma.EventWhereInput[] = [];
  if (f.visibleLines) and.push({ line: { in: f.visibleLines } });
  if (f.defectClass !== undefined) and.push(classWhere(f.defectClass));
  if (f.before) and.push({ OR: [{ ts: { lt: f.before.ts } }, { ts: f.before.ts, id: { lt: f.before.id } }] });
  const score: { gte?: number; lte?: number } = {};
  if (f.minScore !== undefined) score.gte = f.minScore;
  if (f.maxScore !== undefined) score.lte = f.maxScore;
  return {
    AND: and,
    ...(f.line !== undefined && { line: f.line }),
    ...(f.camera !== undefined && { camera: f.camera }),
    ...(f.deviceId !== undefined && { deviceId: f.deviceId }),
    ...(f.modelVersion !== undefined && { modelVersion: f.modelVersion }),
    ...(f.status !== undefined && { labelStatus: f.status }),
    ...(Object.keys(score).length > 0 && { score }),
  };
}

/** A class: named by the confirmation or painted in the mask. null: confirmed with neither (unclassified). */
function classWhere(classId: string | null): Prisma.EventWhereInput {
  if (classId === null) return { labelStatus: 'confirmed', defectClassId: null, maskClasses: { none: {} } };
  return { OR: [{ defectClassId: classId }, { maskClasses: { some: { classId } } }] };
}

/** Below the providers' bound-parameter limits. */
const MASK_CHUNK = 500;

export class EventsStore {
  constructor(private readonly db: Db) {}

  /** Inserts once per (deviceId, sequence); a redelivery returns the stored row with created=false. */
  async insertOnce(e: NewEvent): Promise<{ created: boolean; event: EventRow }> {
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
  async get(id: string): Promise<EventRow | null> {
    const row = await this.db.event.findUnique({ where: { id } });
    return row && toEvent(row);
  }
  /** Newest first, keyset-paginated by (ts, id). */
  async list(f: EventFilter): Promise<EventRow[]> {
    const rows = await this.db.event.findMany({
      where: eventWhere(f),
      orderBy: [{ ts: 'desc' }, { id: 'desc' }],
      take: f.limit,
    });
    return rows.map(toEvent);
  }
  /**
   * Returns the updated row, or null when the event does not exist. `defectClassId`: the class the label names
   * (null: none); left as it is when undefined (saving a mask confirms without naming a class).
   */
  async label(
    id: string,
    status: LabelStatus,
    reviewerId: string,
    at: Date,
    defectClassId?: string | null,
  ): Promise<EventRow | null> {
    const { count } = await this.db.event.updateMany({
      where: { id },
      data: { labelStatus: status, reviewerId, reviewedAt: at, ...(defectClassId !== undefined && { defectClassId }) },
    });
    return count === 0 ? null : this.get(id);
  }
  /** Saves (replaces) the event's mask and the classes its strokes use, in one transaction. */
  async saveMask(m: MaskRow, classes: MaskClassRow[] = []): Promise<void> {
    await this.db.$transaction([
      this.db.mask.upsert({ where: { eventId: m.eventId }, create: m, update: m }),
      this.db.maskClass.deleteMany({ where: { eventId: m.eventId } }),
      this.db.maskClass.createMany({ data: classes.map((c) => ({ eventId: m.eventId, ...c })) }),
    ]);
  }
  /** The classes the event's saved mask paints, most pixels first. */
  async maskClasses(eventId: string): Promise<MaskClassRow[]> {
    return this.db.maskClass.findMany({
      where: { eventId },
      select: { classId: true, pixels: true },
      orderBy: [{ pixels: 'desc' }, { classId: 'asc' }],
    });
  }
  getMask(eventId: string): Promise<MaskRow | null> {
    return this.db.mask.findUnique({ where: { eventId } });
  }
  /** Which of these events have a mask. */
  async withMasks(eventIds: string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = await this.db.mask.findMany({ where: { eventId: { in: eventIds } }, select: { eventId: true } });
    return new Set(rows.map((r) => r.eventId));
  }
  /** Masks per line, for /metrics: the mask table has no line column, so its events' lines are counted in chunks. */
  async maskCountsByLine(): Promise<Map<string, number>> {
    const ids = (await this.db.mask.findMany({ select: { eventId: true } })).map((m) => m.eventId);
    const out = new Map<string, number>();
    for (let i = 0; i < ids.length; i += MASK_CHUNK) {
      const rows = await this.db.event.groupBy({
        by: ['line'],
        where: { id: { in: ids.slice(i, i + MASK_CHUNK) } },
        _count: { _all: true },
      });
      for (const r of rows) out.set(r.line, (out.get(r.line) ?? 0) + r._count._all);
    }
    return out;
  }
  /**
   * Per class: confirmations per line and class (null: unclassified) and saved masks per class, for the label
   * statistics; only events on the visible lines.
   */
  async classStats(visibleLines?: string[]): Promise<{
    confirmations: Array<{ line: string; defectClassId: string | null; count: number }>;
    masks: Array<{ classId: string; count: number }>;
  }> {
    const lines = visibleLines ? { line: { in: visibleLines } } : {};
    const [confirmations, masks] = await Promise.all([
      this.db.event.groupBy({
        by: ['line', 'defectClassId'],
        where: { ...lines, labelStatus: 'confirmed' },
        _count: { _all: true },
      }),
      this.db.maskClass.groupBy({ by: ['classId'], where: { event: lines }, _count: { _all: true } }),
    ]);
    return {
      confirmations: confirmations.map((r) => ({ line: r.line, defectClassId: r.defectClassId, count: r._count._all })),
      masks: masks.map((r) => ({ classId: r.classId, count: r._count._all })),
    };
  }
  /** Event counts per line and label status (lines and statuses without events are absent), sorted by line. */
  async labelStats(visibleLines?: string[]): Promise<Array<{ line: string; status: LabelStatus; count: number }>> {
    const rows = await this.db.event.groupBy({
      by: ['line', 'labelStatus'],
      where: visibleLines ? { line: { in: visibleLines } } : {},
      _count: { _all: true },
    });
    return rows
      .map((r) => ({ line: r.line, status: r.labelStatus as LabelStatus, count: r._count._all }))
      .sort((a, b) =>
        a.line < b.line ? -1 : a.line > b.line ? 1 : a.status < b.status ? -1 : a.status > b.status ? 1 : 0,
      );
  }
}
