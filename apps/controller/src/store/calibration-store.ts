/**
 * Per-camera calibration data (issue #20): the score sketch windows agents report (one row per device, camera,
 * model version and window start; a QoS 1 redelivery is a no-op) and each camera's threshold revisions.
 */
import type { SketchCounts } from '@linewatch/protocol';
import type { Db } from './db.js';
import { isUniqueViolation } from './unique-violation.js';

export interface SketchWindowRow {
  id: string;
  deviceId: string;
  line: string;
  camera: string;
  modelVersion: string;
  start: Date;
  durationMs: number;
  threshold: number;
  frames: number;
  flagged: number;
  sketch: SketchCounts;
  /** The window's frame statistics (agent-side), when sent. */
  frameStats: FrameStatsRow | null;
  receivedAt: Date;
}

export interface FrameStatsRow {
  frozen: number;
  dark: number;
  saturated: number;
  lumaMean: number;
}

export interface ThresholdRevisionRow {
  id: string;
  deviceId: string;
  camera: string;
  revision: number;
  threshold: number;
  modelVersion: string;
  targetFar: number | null;
  expectedFlagRate: number | null;
  currentFlagRate: number | null;
  basisFrames: number | null;
  reason: string;
  authorId: string;
  authorName: string;
  restoredFrom: number | null;
  createdAt: Date;
}

export interface SketchQuery {
  deviceId: string;
  camera: string;
  modelVersion?: string;
  /** Windows that started at or after this time. */
  since?: Date;
}

type DbSketch = Omit<SketchWindowRow, 'sketch' | 'frameStats'> & { sketch: string; frameStats: string | null };

function parseSketch(text: string): SketchCounts {
  const v = JSON.parse(text) as Partial<SketchCounts>;
  return { zero: v.zero ?? 0, offset: v.offset ?? 0, counts: Array.isArray(v.counts) ? v.counts : [] };
}

export class CalibrationStore {
  constructor(private readonly db: Db) {}

  /** Inserts once per (device, camera, model version, start); a redelivery returns created=false. */
  async insertWindow(w: SketchWindowRow): Promise<{ created: boolean }> {
    try {
      await this.db.scoreSketchWindow.create({
        data: {
          ...w,
          sketch: JSON.stringify(w.sketch),
          frameStats: w.frameStats ? JSON.stringify(w.frameStats) : null,
        },
      });
      return { created: true };
    } catch (err) {
      if (isUniqueViolation(err)) return { created: false };
      throw err;
    }
  }

  /** A camera's windows, oldest first. */
  async windows(q: SketchQuery): Promise<SketchWindowRow[]> {
    const rows: DbSketch[] = await this.db.scoreSketchWindow.findMany({
      where: {
        deviceId: q.deviceId,
        camera: q.camera,
        ...(q.modelVersion !== undefined ? { modelVersion: q.modelVersion } : {}),
        ...(q.since ? { start: { gte: q.since } } : {}),
      },
      orderBy: [{ start: 'asc' }, { id: 'asc' }],
    });
    return rows.map((r) => ({
      ...r,
      sketch: parseSketch(r.sketch),
      frameStats: r.frameStats ? (JSON.parse(r.frameStats) as FrameStatsRow) : null,
    }));
  }

  /** Every (device, camera) that reported a window since `since`, with its newest window's model version. */
  async cameras(since: Date): Promise<{ deviceId: string; line: string; camera: string; modelVersion: string }[]> {
    const rows = await this.db.scoreSketchWindow.findMany({
      where: { start: { gte: since } },
      orderBy: [{ start: 'desc' }],
      select: { deviceId: true, line: true, camera: true, modelVersion: true },
    });
    const seen = new Map<string, (typeof rows)[number]>();
    for (const r of rows) if (!seen.has(`${r.deviceId}/${r.camera}`)) seen.set(`${r.deviceId}/${r.camera}`, r);
    return [...seen.values()].sort((a, b) => a.deviceId.localeCompare(b.deviceId) || a.camera.localeCompare(b.camera));
  }

  /** Scores of the camera's flagged frames QA confirmed as defects in [from, to], scored by `modelVersion`. */
  async confirmedScores(deviceId: string, camera: string, modelVersion: string, from: Date, to: Date) {
    const rows = await this.db.event.findMany({
      where: { deviceId, camera, modelVersion, labelStatus: 'confirmed', ts: { gte: from, lte: to } },
      select: { score: true },
    });
    return rows.map((r) => r.score);
  }

  /** Adds a revision; throws a unique violation when `revision` is taken (a concurrent approval: retry). */
  async addRevision(r: ThresholdRevisionRow): Promise<void> {
    await this.db.thresholdRevision.create({ data: r });
  }

  /** A camera's revisions, newest first. */
  revisions(deviceId: string, camera: string): Promise<ThresholdRevisionRow[]> {
    return this.db.thresholdRevision.findMany({ where: { deviceId, camera }, orderBy: { revision: 'desc' } });
  }

  /** The newest revision of every camera. */
  async latestRevisions(): Promise<ThresholdRevisionRow[]> {
    const rows = await this.db.thresholdRevision.findMany({ orderBy: { revision: 'desc' } });
    const newest = new Map<string, ThresholdRevisionRow>();
    for (const r of rows) if (!newest.has(`${r.deviceId}/${r.camera}`)) newest.set(`${r.deviceId}/${r.camera}`, r);
    return [...newest.values()];
  }

  async latestRevision(deviceId: string, camera: string): Promise<ThresholdRevisionRow | null> {
    return this.db.thresholdRevision.findFirst({ where: { deviceId, camera }, orderBy: { revision: 'desc' } });
  }
}
