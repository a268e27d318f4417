/** Per device/camera/minute score aggregates, flushed by ingest's aggregator. */
import type { Db } from './db.js';
import type { ScoreAggregateRow } from './types.js';

export class ScoresStore {
  constructor(private readonly db: Db) {}

  /** Adds the rows onto what is stored for the same (device, camera, minute): counts and sums add, max takes max. */
  async add(rows: ScoreAggregateRow[]): Promise<void> {
    if (rows.length === 0) return;
    // One transaction per flush. Replicas do not split devices: a shared subscription hands each message to any
    // group member (Mosquitto: round-robin), so two replicas flush rows for the same key. Counts stay right anyway:
    // count/sum/flagged are `x = x + n` updates the database applies atomically, and when both replicas insert a
    // key's first row, the loser's flush fails on the unique key and the aggregator puts its rows back for the next
    // flush, which adds them. Only `max` can race: it is read-then-written (prisma has no portable GREATEST), so a
    // concurrent flush of the same key may overwrite a higher max with a lower one.
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
