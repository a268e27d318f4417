/**
 * The model registry: signed packages with lineage (parent, dataset snapshot, job), held-out metrics, calibrated
 * threshold, eligibility against the parent, status and approval. Packages are verified (per-file sha256 +
 * Ed25519 signature with a configured trusted key) before anything is stored; the tar goes into the FileStore
 * under its sha256. addVersion is idempotent for an identical (version, sha256) — a re-run of the same training
 * job — and refuses a different package under an existing version.
 */
import type { KeyObject } from 'node:crypto';
import {
  MANIFEST_FILE,
  SIGNATURE_FILE,
  isPackageError,
  loadPublicKey,
  readPackage,
  verifyEntries,
  type SignatureFile,
} from '@linewatch/model-package';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import { refOf } from '../files/file-store.js';
import type {
  RegistryStore,
  ModelFilter,
  ModelMetrics,
  ModelStatus,
  ModelVersionRow,
} from '../store/registry-store.js';
import { decideEligibility } from './eligibility.js';

export type { HeldOutMetrics, ModelMetrics, ModelStatus, ModelVersionRow } from '../store/registry-store.js';

export interface NewModelVersion {
  version: string;
  line: string | null;
  parentVersion: string | null;
  jobId: string | null;
  datasetSnapshotId: string | null;
  /** candidate and parent measured by the worker on the same held-out set (with intervals and calibration) */
  metrics: Omit<ModelMetrics, 'decision'> | null;
  /** calibrated by the worker */
  threshold: number | null;
  /** the signed package as a tar (libs/model-package), gzipped or not */
  packageTar: Buffer;
  /** user id or 'worker:<id>' */
  createdBy: string;
}

const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

export class Registry {
  readonly store: RegistryStore;
  private readonly keys: KeyObject[];
  private readonly recent = new Map<string, Buffer>();

  constructor(
    private readonly ctx: Ctx,
    opts: { trustedKeys?: KeyObject[] } = {},
  ) {
    this.store = ctx.store.registry;
    try {
      this.keys = opts.trustedKeys ?? ctx.config.registry.trustedKeys.map((k) => loadPublicKey(k));
    } catch (e) {
      throw ctrlError('LW_CTRL_CONFIG_INVALID', `registry.trustedKeys: ${(e as Error).message}`, { cause: e });
    }
  }

  async addVersion(v: NewModelVersion): Promise<ModelVersionRow> {
    if (!VERSION_RE.test(v.version))
      throw ctrlError('LW_CTRL_VALIDATION', `invalid model version ${JSON.stringify(v.version)}`);
    const sha256 = refOf(v.packageTar);
    const existing = await this.store.get(v.version);
    if (existing) return this.same(existing, sha256);
    await this.refuseDuplicate(v.version, sha256);
    const pkg = this.verify(v.packageTar);
    const parent = v.parentVersion === null ? null : await this.store.get(v.parentVersion);
    const elig = decideEligibility({ build: pkg.manifest.build, metrics: v.metrics }, v.parentVersion, parent, {
      auroc: this.ctx.config.registry.aurocTolerance,
      falseAlarm: this.ctx.config.registry.falseAlarmTolerance,
      minPerClass: this.ctx.config.registry.minHeldOutPerClass,
    });
    // The decision and its intervals stay with the version (lineage), beside the measurements they came from.
    const metrics = v.metrics && elig.decision ? { ...v.metrics, decision: elig.decision } : v.metrics;
    // Blob first (content-addressed, idempotent), then the row: a crash in between leaves only an orphan blob.
    await this.ctx.files.put(v.packageTar);
    const { created, row } = await this.store.insertOnce({
      version: v.version,
      line: v.line,
      parentVersion: v.parentVersion,
      jobId: v.jobId,
      datasetSnapshotId: v.datasetSnapshotId,
      sha256,
      bytes: v.packageTar.length,
      build: pkg.manifest.build,
      manifest: pkg.manifest,
      signature: pkg.signature,
      keyId: pkg.keyId,
      metrics,
      threshold: v.threshold,
      eligible: elig.eligible,
      eligibility: elig.reason,
      status: elig.eligible === false ? 'ineligible' : 'candidate',
      createdBy: v.createdBy,
      createdAt: this.ctx.clock.now(),
      approvedBy: null,
      approvedAt: null,
    });
    if (!created) return this.same(row, sha256); // lost a race with an identical (or conflicting) upload
    this.ctx.log.info(
      { version: row.version, eligible: row.eligible, reason: row.eligibility },
      'model version registered',
    );
    return row;
  }

  /**
   * The same bytes under a new name would be a second, parentless "candidate" of a model that is already registered
   * (and maybe live) — with no eligibility check. Refused, naming the version that holds them.
   */
  private async refuseDuplicate(version: string, sha256: string): Promise<void> {
    const twin = await this.store.findBySha256(sha256);
    if (twin)
      throw ctrlError(
        'LW_CTRL_MODEL_DUPLICATE_PACKAGE',
        `package ${sha256.slice(0, 12)}… is already registered as ${twin.version}; not registered again as ${version}`,
        { details: { existingVersion: twin.version } },
      );
  }

  private same(existing: ModelVersionRow, sha256: string): ModelVersionRow {
    if (existing.sha256 !== sha256) {
      throw ctrlError(
        'LW_CTRL_MODEL_VERSION_TAKEN',
        `version ${existing.version} is registered with package ${existing.sha256.slice(0, 12)}…, not ${sha256.slice(0, 12)}…`,
      );
    }
    return existing;
  }

  private verify(tar: Buffer): { manifest: ModelVersionRow['manifest']; signature: string; keyId: string } {
    try {
      const entries = readPackage(
        new Uint8Array(tar.buffer, tar.byteOffset, tar.byteLength),
        this.ctx.config.registry.maxPackageBytes,
      );
      const verified = verifyEntries(entries, this.keys);
      const sigBytes = entries.find((e) => e.path === SIGNATURE_FILE)!.data;
      const sig = JSON.parse(Buffer.from(sigBytes).toString('utf8')) as SignatureFile;
      if (!entries.some((e) => e.path === MANIFEST_FILE)) throw new Error('no manifest');
      return { manifest: verified.manifest, signature: sig.signature, keyId: verified.keyId };
    } catch (e) {
      const code = isPackageError(e) ? e.code : 'LW_PKG_INVALID';
      // The package library's messages already start with their code; say it once.
      const text = e instanceof Error ? e.message : String(e);
      const message = text.startsWith(`${code}: `) ? text : `${code}: ${text}`;
      throw ctrlError('LW_CTRL_MODEL_PACKAGE_INVALID', message, { cause: e, details: { reason: code } });
    }
  }

  get(version: string): Promise<ModelVersionRow | null> {
    return this.store.get(version);
  }

  list(filter: Partial<ModelFilter> = {}): Promise<ModelVersionRow[]> {
    return this.store.list({ limit: 100, ...filter });
  }

  async packageBytes(version: string): Promise<{ row: ModelVersionRow; bytes: Buffer }> {
    const row = await this.store.get(version);
    if (!row) throw ctrlError('LW_CTRL_NOT_FOUND', `no model version ${version}`);
    // A wave downloads the same package from many devices at once (candidate and, on rollback, the parent): keep
    // the last two in memory instead of reading a copy per request. Immutable by construction (content-addressed).
    let bytes = this.recent.get(row.sha256);
    if (!bytes) {
      bytes = await this.ctx.files.get(row.sha256);
      this.recent.set(row.sha256, bytes);
      while (this.recent.size > 2) this.recent.delete(this.recent.keys().next().value as string);
    }
    return { row, bytes };
  }

  /**
   * Bytes `start..end` of a version's package (resumed downloads): from the in-memory copy when a wave is already
   * downloading it, else a ranged read from the blob store, without loading the rest of the package.
   */
  async packageRange(row: ModelVersionRow, start: number, end: number): Promise<Buffer> {
    const cached = this.recent.get(row.sha256);
    if (cached) return cached.subarray(start, end + 1);
    return this.ctx.files.getRange(row.sha256, start, end);
  }

  /** Records approval; an ineligible version cannot be approved. Idempotent for an approved/deployed version. */
  async approve(version: string, userId: string): Promise<ModelVersionRow> {
    const row = await this.store.get(version);
    if (!row) throw ctrlError('LW_CTRL_NOT_FOUND', `no model version ${version}`);
    if (row.eligible === false) throw ctrlError('LW_CTRL_MODEL_INELIGIBLE', row.eligibility);
    if (row.approvedAt) return row;
    return (await this.store.update(version, {
      status: 'approved',
      approvedBy: userId,
      approvedAt: this.ctx.clock.now(),
    }))!;
  }

  async setStatus(version: string, status: ModelStatus): Promise<void> {
    await this.store.update(version, { status });
  }
}
