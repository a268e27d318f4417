/** Per device/camera/minute score aggregates, flushed by ingest's aggregator. */
import type { Db } from './db.js';
import type { ScoreAggregateRow } from './types.js';

export class ScoresStore {
  constructor(private readonly db: Db) {}

  /** Adds the rows onto what is stored for the same (device, camera, minute): counts and sums add, max takes max. */
  async add(rows: ScoreAggregateRow[]): Promise<void> {
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
  list(deviceId: string, from: Date, to: Date): Promise<ScoreAggregateRow[]> {
    return this.db.scoreAggregate.findMany({
      where: { deviceId, minute: { gte: from, lt: to } },
      orderBy: [{ minute: 'asc' }, { camera: 'asc' }],
    });
  }
}
