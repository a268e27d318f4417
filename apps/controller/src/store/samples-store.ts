/**
 * Normal samples: unflagged frames agents sample as normal training data (event header `sampled: true`). A table of
 * their own, not Event rows, because stored events count as flagged (QA queue, label stats, rollout flag-rate and
 * QA gates). Deduplicated per (device, sequence) like events; bounded per (line, camera) by pruning the oldest.
 */
import type { Db } from './db.js';
import { isUniqueViolation } from './unique-violation.js';
import type { LabelledEvent, NewEvent } from './types.js';

/** An event row's frame fields, without the anomaly map or review state (a sample is never reviewed). */
export type NormalSampleRow = Omit<NewEvent, 'mapRef'>;

export class SamplesStore {
  constructor(private readonly db: Db) {}

  /** Inserts once per (deviceId, sequence); a redelivery returns created=false. */
  async insertOnce(s: NormalSampleRow): Promise<{ created: boolean }> {
    try {
      await this.db.normalSample.create({ data: s });
      return { created: true };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const row = await this.db.normalSample.findUnique({
        where: { deviceId_sequence: { deviceId: s.deviceId, sequence: s.sequence } },
        select: { id: true },
      });
      if (!row) throw err;
      return { created: false };
    }
  }

  count(where: { line?: string; camera?: string } = {}): Promise<number> {
    return this.db.normalSample.count({ where });
  }

  /** The stored samples (optionally of one line and/or camera), newest first. */
  list(where: { line?: string; camera?: string } = {}): Promise<NormalSampleRow[]> {
    return this.db.normalSample.findMany({ where, orderBy: [{ ts: 'desc' }, { id: 'desc' }] });
  }

  /**
   * Deletes all but the newest `keep` samples of (line, camera). Returns the frame refs that no remaining sample,
   * event or dataset snapshot item references, so the caller may delete those blobs (a snapshot keeps its frames).
   */
  async prune(line: string, camera: string, keep: number): Promise<string[]> {
    const old = await this.db.normalSample.findMany({
      where: { line, camera },
      orderBy: [{ ts: 'desc' }, { id: 'desc' }],
      skip: keep,
      select: { id: true, frameRef: true },
    });
    if (old.length === 0) return [];
    await this.db.normalSample.deleteMany({ where: { id: { in: old.map((o) => o.id) } } });
    const refs = [...new Set(old.map((o) => o.frameRef))];
    const [samples, events, items] = await Promise.all([
      this.db.normalSample.findMany({ where: { frameRef: { in: refs } }, select: { frameRef: true } }),
      this.db.event.findMany({ where: { frameRef: { in: refs } }, select: { frameRef: true } }),
      this.db.datasetItem.findMany({ where: { frameRef: { in: refs } }, select: { frameRef: true } }),
    ]);
    const used = new Set([...samples, ...events, ...items].map((r) => r.frameRef));
    return refs.filter((r) => !used.has(r));
  }

  /** The line's newest `limit` samples, shaped as labelled training data (labelStatus 'sampled' → kind normal). */
  async forLine(line: string, limit: number): Promise<LabelledEvent[]> {
    if (limit <= 0) return [];
    const rows = await this.db.normalSample.findMany({
      where: { line },
      orderBy: [{ ts: 'desc' }, { id: 'desc' }],
      take: limit,
      select: { id: true, line: true, camera: true, frameRef: true, frameWidth: true, frameHeight: true },
    });
    return rows.reverse().map((r) => ({ ...r, labelStatus: 'sampled' as const, maskRef: null }));
  }
}
