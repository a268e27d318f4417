/**
 * Per-frame scores are the highest-volume message (QoS 0, one per frame per camera). Writing a row each would
 * swamp the database, so they are folded in memory into per device/camera/minute aggregates (count, sum, max,
 * flagged) and flushed periodically; the store merges flushed rows into what is already there.
 */
import type { ScoresStore } from '../store/scores-store.js';
import type { ScoreAggregateRow } from '../store/types.js';

const MINUTE = 60_000;

export class ScoreAggregator {
  private buf = new Map<string, ScoreAggregateRow>();

  constructor(private readonly store: Pick<ScoresStore, 'add'>) {}

  get size(): number {
    return this.buf.size;
  }

  private row(deviceId: string, camera: string, tsMs: number): ScoreAggregateRow {
    const minute = Math.floor(tsMs / MINUTE) * MINUTE;
    const key = `${deviceId}\u0000${camera}\u0000${minute}`;
    let r = this.buf.get(key);
    if (!r) {
      r = { deviceId, camera, minute: new Date(minute), count: 0, sum: 0, max: Number.NEGATIVE_INFINITY, flagged: 0 };
      this.buf.set(key, r);
    }
    return r;
  }

  addScore(deviceId: string, camera: string, tsMs: number, score: number): void {
    const r = this.row(deviceId, camera, tsMs);
    r.count += 1;
    r.sum += score;
    r.max = Math.max(r.max, score);
  }

  /** A flagged event (stored for the first time) counts toward its minute's `flagged`. */
  addFlagged(deviceId: string, camera: string, tsMs: number): void {
    this.row(deviceId, camera, tsMs).flagged += 1;
  }

  /** Swaps the buffer out before writing, so scores arriving during the write land in the next flush. */
  async flush(): Promise<number> {
    if (this.buf.size === 0) return 0;
    const rows = [...this.buf.values()].map((r) => (r.count === 0 ? { ...r, max: 0 } : r));
    this.buf = new Map();
    try {
      await this.store.add(rows);
    } catch (e) {
      // Put them back (merged with anything new) so a transient DB error loses nothing.
      for (const r of rows) {
        const cur = this.row(r.deviceId, r.camera, r.minute.getTime());
        cur.count += r.count;
        cur.sum += r.sum;
        cur.flagged += r.flagged;
        cur.max = Math.max(cur.max, r.max);
      }
      throw e;
    }
    return rows.length;
  }
}
