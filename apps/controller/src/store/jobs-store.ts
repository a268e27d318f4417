/**
 * Storage for training jobs and dataset snapshots, on the shared prisma client (both providers). State changes of
 * a job are compare-and-set updates (`updateMany` with the expected status/lease in the WHERE clause), so two
 * workers racing for the same job, or a stale worker writing after a re-claim, can never both win — without
 * interactive transactions or provider-specific locking.
 */
import type {
  DatasetCounts,
  DatasetKind,
  DatasetOrigin,
  DatasetSplit,
  JobMetrics,
  JobProgress,
  JobStatus,
} from '@linewatch/protocol/http';
import type { Db } from './db.js';
import type { SamplesStore } from './samples-store.js';
import type { LabelledEvent } from './types.js';
import { isUniqueViolation } from './unique-violation.js';

export type { LabelledEvent } from './types.js';

/** Per split, items per kind; `rejected` + `sampled` split `normal` by origin (absent on older snapshots). */
export type SplitCounts = Record<DatasetSplit, DatasetCounts>;

export interface SnapshotRow {
  id: string;
  line: string;
  createdAt: Date;
  digest: string;
  heldOutFraction: number;
  counts: SplitCounts;
}

export interface SnapshotItemRow {
  snapshotId: string;
  eventId: string;
  kind: DatasetKind;
  /** Where its label came from (null: a snapshot taken before origins were kept). */
  origin?: DatasetOrigin | null;
  split: DatasetSplit;
  label: 0 | 1;
  line: string;
  camera: string;
  frameRef: string;
  maskRef: string | null;
  width: number;
  height: number;
  /** The item's defect class name when the snapshot was taken (null: unclassified, or a normal). */
  defectClass?: string | null;
}

export interface JobRow {
  id: string;
  line: string;
  status: JobStatus;
  trigger: string;
  parentVersion: string | null;
  targetVersion: string;
  datasetSnapshotId: string;
  attempt: number;
  maxAttempts: number;
  leaseId: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  progress: JobProgress | null;
  packageRef: string | null;
  resultVersion: string | null;
  metrics: JobMetrics | null;
  threshold: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** Columns a compare-and-set may change (JSON columns as values; serialised here). */
export type JobPatch = Partial<Omit<JobRow, 'id' | 'line' | 'targetVersion' | 'datasetSnapshotId' | 'createdAt'>>;
/** Expected column values for a compare-and-set. */
export interface JobExpect {
  status?: JobStatus | JobStatus[];
  leaseId?: string | null;
  /** The lease must have expired at or before this instant (re-claims must not steal a just-renewed lease). */
  leaseExpiredBy?: Date;
}

export const OPEN_STATUSES: JobStatus[] = ['queued', 'claimed', 'running'];

type DbJob = Omit<JobRow, 'status' | 'progress' | 'metrics'> & {
  status: string;
  progress: string | null;
  metrics: string | null;
};
type DbSnapshot = Omit<SnapshotRow, 'counts'> & { counts: string };
type DbItem = Omit<SnapshotItemRow, 'kind' | 'split' | 'label' | 'origin'> & {
  kind: string;
  split: string;
  label: number;
  origin?: string | null;
};

const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));
const toJob = (j: DbJob): JobRow => ({
  ...j,
  status: j.status as JobStatus,
  progress: parse<JobProgress>(j.progress),
  metrics: parse<JobMetrics>(j.metrics),
});
const toSnapshot = (s: DbSnapshot): SnapshotRow => ({ ...s, counts: JSON.parse(s.counts) as SplitCounts });
const toItem = (i: DbItem): SnapshotItemRow => ({
  ...i,
  kind: i.kind as DatasetKind,
  split: i.split as DatasetSplit,
  label: i.label === 1 ? 1 : 0,
  origin: (i.origin ?? null) as DatasetOrigin | null,
});

function patchData(p: JobPatch): Record<string, unknown> {
  const { progress, metrics, ...rest } = p;
  const data: Record<string, unknown> = { ...rest };
  if (progress !== undefined) data.progress = progress === null ? null : JSON.stringify(progress);
  if (metrics !== undefined) data.metrics = metrics === null ? null : JSON.stringify(metrics);
  return data;
}

const IN_CHUNK = 500;

export class JobsStore {
  constructor(
    private readonly db: Db,
    /** Normal samples are training data too (see trainingData). */
    private readonly samples: SamplesStore,
  ) {}

  /**
   * Writes the snapshot, its items and the job in one transaction. Returns false (nothing written) when the line
   * already has an open job — the partial unique index decides, so concurrent triggers cannot both succeed.
   */
  async createJobWithSnapshot(snapshot: SnapshotRow, items: SnapshotItemRow[], job: JobRow): Promise<boolean> {
    const { progress, metrics, ...jobCols } = job;
    try {
      await this.db.$transaction([
        this.db.datasetSnapshot.create({ data: { ...snapshot, counts: JSON.stringify(snapshot.counts) } }),
        // createMany in chunks keeps statements below the providers' bound-parameter limits.
        ...chunks(items, IN_CHUNK).map((c) => this.db.datasetItem.createMany({ data: c })),
        this.db.trainingJob.create({
          data: {
            ...jobCols,
            progress: progress === null ? null : JSON.stringify(progress),
            metrics: metrics === null ? null : JSON.stringify(metrics),
          },
        }),
      ]);
      return true;
    } catch (e) {
      if (isUniqueViolation(e, { driverMessage: true }) && (await this.openJobForLine(job.line))) return false;
      throw e;
    }
  }

  async getJob(id: string): Promise<JobRow | null> {
    const j = await this.db.trainingJob.findUnique({ where: { id } });
    return j && toJob(j);
  }

  async listJobs(f: { visibleLines?: string[]; line?: string; status?: JobStatus; limit: number }): Promise<JobRow[]> {
    const lineFilter =
      f.visibleLines === undefined
        ? f.line === undefined
          ? {}
          : { line: f.line }
        : {
            line: f.line === undefined ? { in: f.visibleLines } : f.visibleLines.includes(f.line) ? f.line : { in: [] },
          };
    const rows = await this.db.trainingJob.findMany({
      where: { ...lineFilter, ...(f.status === undefined ? {} : { status: f.status }) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: f.limit,
    });
    return rows.map(toJob);
  }

  async openJobForLine(line: string): Promise<JobRow | null> {
    const j = await this.db.trainingJob.findFirst({ where: { line, status: { in: OPEN_STATUSES } } });
    return j && toJob(j);
  }

  async lastJobForLine(line: string): Promise<JobRow | null> {
    const j = await this.db.trainingJob.findFirst({
      where: { line },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    return j && toJob(j);
  }

  /** Oldest first: queued jobs, and claimed/running jobs whose lease expired at or before `now`. */
  async claimCandidates(now: Date, limit: number): Promise<JobRow[]> {
    const rows = await this.db.trainingJob.findMany({
      where: {
        OR: [{ status: 'queued' }, { status: { in: ['claimed', 'running'] }, leaseExpiresAt: { lte: now } }],
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map(toJob);
  }

  /** Compare-and-set: applies the patch only if the job still has the expected status/lease. True when applied. */
  async updateJobIf(id: string, expect: JobExpect, patch: JobPatch): Promise<boolean> {
    const where: Record<string, unknown> = { id };
    if (expect.status !== undefined)
      where.status = Array.isArray(expect.status) ? { in: expect.status } : expect.status;
    if (expect.leaseId !== undefined) where.leaseId = expect.leaseId;
    if (expect.leaseExpiredBy !== undefined) where.leaseExpiresAt = { lte: expect.leaseExpiredBy };
    const r = await this.db.trainingJob.updateMany({ where, data: patchData(patch) });
    return r.count === 1;
  }

  async getSnapshot(id: string): Promise<SnapshotRow | null> {
    const s = await this.db.datasetSnapshot.findUnique({ where: { id } });
    return s && toSnapshot(s);
  }

  async getSnapshots(ids: string[]): Promise<Map<string, SnapshotRow>> {
    const rows = ids.length === 0 ? [] : await this.db.datasetSnapshot.findMany({ where: { id: { in: ids } } });
    return new Map(rows.map((r) => [r.id, toSnapshot(r)]));
  }

  async listSnapshotItems(snapshotId: string): Promise<SnapshotItemRow[]> {
    const rows = await this.db.datasetItem.findMany({ where: { snapshotId }, orderBy: { eventId: 'asc' } });
    return rows.map(toItem);
  }

  async getSnapshotItem(snapshotId: string, eventId: string): Promise<SnapshotItemRow | null> {
    const i = await this.db.datasetItem.findUnique({ where: { snapshotId_eventId: { snapshotId, eventId } } });
    return i && toItem(i);
  }

  /** Event ids of the snapshot's items of one kind. */
  async snapshotEventIds(snapshotId: string, kind: DatasetKind): Promise<Set<string>> {
    const rows = await this.db.datasetItem.findMany({ where: { snapshotId, kind }, select: { eventId: true } });
    return new Set(rows.map((r) => r.eventId));
  }

  /** Confirmed and rejected events of a line with their current mask ref (null when none), oldest first. */
  async labelledEvents(line: string): Promise<LabelledEvent[]> {
    const events = await this.db.event.findMany({
      where: { line, labelStatus: { in: ['confirmed', 'rejected'] } },
      select: {
        id: true,
        line: true,
        camera: true,
        labelStatus: true,
        frameRef: true,
        frameWidth: true,
        frameHeight: true,
        defectClassId: true,
      },
      orderBy: [{ ts: 'asc' }, { id: 'asc' }],
    });
    const classNames = await this.classNamesOf(line);
    const masks = new Map<string, string>();
    for (const c of chunks(
      events.filter((e) => e.labelStatus === 'confirmed').map((e) => e.id),
      IN_CHUNK,
    )) {
      for (const m of await this.db.mask.findMany({
        where: { eventId: { in: c } },
        select: { eventId: true, ref: true },
      }))
        masks.set(m.eventId, m.ref);
    }
    return events.map(({ defectClassId, ...e }) => ({
      ...e,
      labelStatus: e.labelStatus as 'confirmed' | 'rejected',
      maskRef: e.labelStatus === 'confirmed' ? (masks.get(e.id) ?? null) : null,
      defectClass:
        e.labelStatus === 'confirmed'
          ? (classNames.name(defectClassId) ?? classNames.dominant.get(e.id) ?? null)
          : null,
    }));
  }

  /**
   * A line's class names by id, and per masked event the name of the class its strokes paint most (for a
   * confirmation that names no class).
   */
  private async classNamesOf(line: string) {
    const classes = await this.db.defectClass.findMany({ where: { line }, select: { id: true, name: true } });
    const names = new Map(classes.map((c) => [c.id, c.name]));
    const dominant = new Map<string, string>();
    if (classes.length > 0) {
      const rows = await this.db.maskClass.findMany({
        where: { classId: { in: [...names.keys()] } },
        orderBy: [{ pixels: 'desc' }, { classId: 'asc' }],
      });
      for (const r of rows) {
        const name = names.get(r.classId);
        if (name !== undefined && !dominant.has(r.eventId)) dominant.set(r.eventId, name);
      }
    }
    return { name: (id: string | null) => (id === null ? undefined : names.get(id)), dominant };
  }

  /** A snapshot's input: the labelled events plus the line's newest `maxSamples` sampled normal frames. */
  async trainingData(line: string, maxSamples: number): Promise<LabelledEvent[]> {
    const [events, samples] = await Promise.all([this.labelledEvents(line), this.samples.forLine(line, maxSamples)]);
    return [...events, ...samples];
  }

  /** Line, status and times of every job, for /metrics (jobs by state, durations of finished jobs); jobs are few. */
  async jobTimes(): Promise<Array<Pick<JobRow, 'line' | 'status' | 'createdAt' | 'startedAt' | 'finishedAt'>>> {
    const rows = await this.db.trainingJob.findMany({
      select: { line: true, status: true, createdAt: true, startedAt: true, finishedAt: true },
    });
    return rows.map((r) => ({ ...r, status: r.status as JobStatus }));
  }

  /** Every line that has devices or events, sorted. */
  async knownLines(): Promise<string[]> {
    const [d, e] = await Promise.all([
      this.db.device.findMany({ distinct: ['line'], select: { line: true } }),
      this.db.event.findMany({ distinct: ['line'], select: { line: true } }),
    ]);
    return [...new Set([...d, ...e].map((r) => r.line))].sort();
  }
}

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
