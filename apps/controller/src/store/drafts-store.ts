/**
 * Review drafts: a reviewer's unsaved mask strokes on an event (the painter's PNG), one per (event, user), so
 * navigating away loses nothing. A draft is not a label: nothing else reads this table, and saving the mask deletes
 * it. Stored as bytes in the row, not in the content-addressed blob store: drafts are rewritten every few seconds
 * while painting, and a draft's bytes can equal a saved mask's, whose blob must not be deleted with the draft.
 */
import type { Db } from './db.js';

export interface DraftRow {
  eventId: string;
  userId: string;
  png: Buffer;
  updatedAt: Date;
}

export class DraftsStore {
  constructor(private readonly db: Db) {}

  /** Creates or replaces the user's draft on the event. */
  async save(d: DraftRow): Promise<void> {
    const key = { eventId_userId: { eventId: d.eventId, userId: d.userId } };
    const data = { png: new Uint8Array(d.png), updatedAt: d.updatedAt };
    await this.db.reviewDraft.upsert({
      where: key,
      create: { eventId: d.eventId, userId: d.userId, ...data },
      update: data,
    });
  }

  async get(eventId: string, userId: string): Promise<DraftRow | null> {
    const row = await this.db.reviewDraft.findUnique({ where: { eventId_userId: { eventId, userId } } });
    return row && { ...row, png: Buffer.from(row.png) };
  }

  /** Whether the user has a draft on the event, without reading its bytes. */
  async has(eventId: string, userId: string): Promise<boolean> {
    return (await this.db.reviewDraft.count({ where: { eventId, userId } })) > 0;
  }

  /** Deletes the user's draft on the event; true when there was one. */
  async delete(eventId: string, userId: string): Promise<boolean> {
    const { count } = await this.db.reviewDraft.deleteMany({ where: { eventId, userId } });
    return count > 0;
  }
}
