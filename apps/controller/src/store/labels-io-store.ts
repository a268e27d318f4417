/**
 * Label export and import (src/labels-io/): reads a line's labelled events and sampled normals page by page for an
 * export, and stores one import's rows (confirmed events, their masks, normal samples) in a single transaction, so
 * a failing import leaves no row behind.
 */
import type { DefectClassRow } from './classes-store.js';
import { ctrlError } from '../errors.js';
import type { Db } from './db.js';
import { isUniqueViolation } from './unique-violation.js';
import type { NormalSampleRow } from './samples-store.js';
import type { EventRow, MaskRow, NewEvent } from './types.js';

/** Capture-time range [from, to); open ends when absent. */
export interface TimeRange {
  from?: Date;
  to?: Date;
}

/** An imported defect image: stored as an event already confirmed by the importing user, with its class. */
export type ImportedEvent = NewEvent & {
  labelStatus: 'confirmed';
  reviewerId: string;
  reviewedAt: Date;
  defectClassId: string | null;
};

export interface ImportRows {
  /** Classes the import adds to the line's taxonomy (folders no class of the line is named after). */
  classes: DefectClassRow[];
  events: ImportedEvent[];
  masks: MaskRow[];
  samples: NormalSampleRow[];
}

/** Below the providers' bound-parameter limits (PostgreSQL: 65535 per statement; an event row binds 17). */
const CHUNK = 500;

const chunks = <T>(rows: T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
};

const tsRange = (r: TimeRange): { gte?: Date; lt?: Date } => ({
  ...(r.from && { gte: r.from }),
  ...(r.to && { lt: r.to }),
});

export class LabelsIoStore {
  constructor(private readonly db: Db) {}

  /**
   * Reviewed (confirmed or rejected) events of a line in the range, oldest first, keyset-paginated by (ts, id):
   * `after` is the last row of the previous page.
   */
  async reviewedPage(
    line: string,
    range: TimeRange,
    after: { ts: Date; id: string } | null,
    limit: number,
  ): Promise<EventRow[]> {
    const rows = await this.db.event.findMany({
      where: {
        line,
        labelStatus: { in: ['confirmed', 'rejected'] },
        ts: tsRange(range),
        ...(after && { OR: [{ ts: { gt: after.ts } }, { ts: after.ts, id: { gt: after.id } }] }),
      },
      orderBy: [{ ts: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map((r) => ({ ...r, labelStatus: r.labelStatus === 'confirmed' ? 'confirmed' : 'rejected' }));
  }

  /** The masks of these events (events without one are absent). */
  async masksOf(eventIds: string[]): Promise<Map<string, MaskRow>> {
    const out = new Map<string, MaskRow>();
    for (const ids of chunks(eventIds)) {
      for (const m of await this.db.mask.findMany({ where: { eventId: { in: ids } } })) out.set(m.eventId, m);
    }
    return out;
  }

  /** Sampled normal frames of a line in the range, newest first, at most `limit` (all when null). */
  samples(line: string, range: TimeRange, limit: number | null): Promise<NormalSampleRow[]> {
    return this.db.normalSample.findMany({
      where: { line, ts: tsRange(range) },
      orderBy: [{ ts: 'desc' }, { id: 'desc' }],
      ...(limit !== null && { take: limit }),
    });
  }

  /**
   * A line's class names by id, and per masked event the class its strokes paint most (what a confirmation that
   * names no class counts as, like dataset snapshots do).
   */
  async classNames(line: string): Promise<{ byId: Map<string, string>; dominant: Map<string, string> }> {
    const classes = await this.db.defectClass.findMany({ where: { line }, select: { id: true, name: true } });
    const byId = new Map(classes.map((c) => [c.id, c.name]));
    const dominant = new Map<string, string>();
    if (classes.length === 0) return { byId, dominant };
    const rows = await this.db.maskClass.findMany({
      where: { classId: { in: [...byId.keys()] } },
      orderBy: [{ pixels: 'desc' }, { classId: 'asc' }],
    });
    for (const r of rows) {
      const name = byId.get(r.classId);
      if (name !== undefined && !dominant.has(r.eventId)) dominant.set(r.eventId, name);
    }
    return { byId, dominant };
  }

  /**
   * Every row of one import, in one transaction: all are stored or none (a duplicate device sequence, or a class
   * name, colour or palette index another writer took meanwhile, fails the whole import).
   */
  async saveImport(rows: ImportRows): Promise<void> {
    try {
      await this.db.$transaction([
        ...chunks(rows.classes).map((data) => this.db.defectClass.createMany({ data })),
        ...chunks(rows.events).map((data) => this.db.event.createMany({ data })),
        ...chunks(rows.masks).map((data) => this.db.mask.createMany({ data })),
        ...chunks(rows.samples).map((data) => this.db.normalSample.createMany({ data })),
      ]);
    } catch (e) {
      // A class created meanwhile with the same name, colour or palette index: nothing was stored; retrying works.
      if (isUniqueViolation(e))
        throw ctrlError(
          'LW_CTRL_CONFLICT',
          "a row of the import collided with one stored meanwhile (a class's name, colour or palette index); nothing was stored, retry",
          {
            cause: e,
          },
        );
      throw e;
    }
  }
}
