/**
 * Registry tables on the shared prisma client: model versions (lineage, metrics, eligibility, approval) and the
 * stored rollout policy overrides per line / fleet. JSON columns are parsed here so callers see typed rows.
 */
import type { Manifest } from '@linewatch/protocol';
import type { EligibilityDecisionBody, HeldOutComparison, ThresholdCalibration } from '@linewatch/protocol/http';
import type { Db } from './db.js';
import { isUniqueViolation } from './unique-violation.js';

export type ModelStatus = 'candidate' | 'ineligible' | 'approved' | 'deployed' | 'rolled-back';

export interface HeldOutMetrics {
  imageAuroc: number | null;
  pixelAuroc: number | null;
  falseAlarmRate: number | null;
  n: number;
}
export interface ModelMetrics {
  candidate: HeldOutMetrics;
  parent: HeldOutMetrics | null;
  /** the worker's intervals, its calibration, and the eligibility decision drawn from them (lineage) */
  comparison?: HeldOutComparison;
  calibration?: ThresholdCalibration;
  decision?: EligibilityDecisionBody;
}

export interface ModelVersionRow {
  version: string;
  line: string | null;
  parentVersion: string | null;
  jobId: string | null;
  datasetSnapshotId: string | null;
  sha256: string;
  bytes: number;
  build: number;
  manifest: Manifest;
  signature: string;
  keyId: string;
  metrics: ModelMetrics | null;
  threshold: number | null;
  eligible: boolean | null;
  eligibility: string;
  status: ModelStatus;
  createdBy: string;
  createdAt: Date;
  approvedBy: string | null;
  approvedAt: Date | null;
}

type DbModel = Omit<ModelVersionRow, 'manifest' | 'metrics' | 'status'> & {
  manifest: string;
  metrics: string | null;
  status: string;
};

const toModel = (m: DbModel): ModelVersionRow => ({
  ...m,
  manifest: JSON.parse(m.manifest) as Manifest,
  metrics: m.metrics === null ? null : (JSON.parse(m.metrics) as ModelMetrics),
  status: m.status as ModelStatus,
});

export interface ModelFilter {
  line?: string;
  status?: ModelStatus;
  /** Restrict to these lines plus fleet-wide models (visibility); undefined = all. */
  visibleLines?: string[];
  limit: number;
}

export class RegistryStore {
  constructor(private readonly db: Db) {}

  /** Inserts unless the version exists; returns the stored row and whether this call created it. */
  async insertOnce(m: ModelVersionRow): Promise<{ created: boolean; row: ModelVersionRow }> {
    try {
      const row = await this.db.modelVersion.create({
        data: {
          ...m,
          manifest: JSON.stringify(m.manifest),
          metrics: m.metrics === null ? null : JSON.stringify(m.metrics),
        },
      });
      return { created: true, row: toModel(row) };
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const row = await this.get(m.version);
      if (!row) throw e;
      return { created: false, row };
    }
  }

  async get(version: string): Promise<ModelVersionRow | null> {
    const r = await this.db.modelVersion.findUnique({ where: { version } });
    return r && toModel(r);
  }

  /** The version registered with this package (same sha256), if any. */
  async findBySha256(sha256: string): Promise<ModelVersionRow | null> {
    const r = await this.db.modelVersion.findFirst({ where: { sha256 }, orderBy: { createdAt: 'asc' } });
    return r && toModel(r);
  }

  async list(f: ModelFilter): Promise<ModelVersionRow[]> {
    const rows = await this.db.modelVersion.findMany({
      where: {
        ...(f.line !== undefined && { line: f.line }),
        ...(f.status !== undefined && { status: f.status }),
        ...(f.visibleLines && { OR: [{ line: null }, { line: { in: f.visibleLines } }] }),
      },
      orderBy: [{ createdAt: 'desc' }, { version: 'desc' }],
      take: f.limit,
    });
    return rows.map(toModel);
  }

  async update(
    version: string,
    patch: Partial<Pick<ModelVersionRow, 'status' | 'approvedBy' | 'approvedAt'>>,
  ): Promise<ModelVersionRow | null> {
    const { count } = await this.db.modelVersion.updateMany({ where: { version }, data: patch });
    return count === 0 ? null : this.get(version);
  }

  async getPolicy(scope: string): Promise<Record<string, unknown> | null> {
    const r = await this.db.rolloutPolicy.findUnique({ where: { scope } });
    return r && (JSON.parse(r.policy) as Record<string, unknown>);
  }

  async putPolicy(scope: string, policy: Record<string, unknown>, userId: string, at: Date): Promise<void> {
    const data = { policy: JSON.stringify(policy), updatedBy: userId, updatedAt: at };
    await this.db.rolloutPolicy.upsert({ where: { scope }, create: { scope, ...data }, update: data });
  }
}
