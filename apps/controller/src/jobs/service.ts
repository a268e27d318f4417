/**
 * Training jobs: creation (snapshot + job, at most one open job per line), and the worker side's lease protocol.
 *
 * Lease: a claim gives the job a fresh random `leaseId` and an expiry; heartbeats extend it. Every worker write
 * names its leaseId and is a compare-and-set on (status, leaseId), so once a job is re-claimed, cancelled or
 * finished, the previous holder's writes fail with 409 LW_CTRL_JOB_LEASE_LOST and change nothing. A lease that
 * expired but was not re-claimed yet still works for its holder (nobody else is doing the job). A job re-claimed
 * `maxAttempts` times whose lease expires again fails with LW_CTRL_JOB_ATTEMPTS_EXHAUSTED instead of looping.
 *
 * Idempotence: completing or failing twice with the same lease returns the finished job; the version a job
 * registers is derived from the job id (`ft-<jobId>`), so a re-run after a crash registers the same version.
 */
import { randomBytes } from 'node:crypto';
import type { JobMetrics, JobProgress } from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import { refOf } from '../files/file-store.js';
import { buildSnapshot, totalCounts } from '../datasets/snapshot.js';
import { OPEN_STATUSES, type JobRow, type JobsStore, type SnapshotRow } from '../store/jobs-store.js';
import type { JobModels } from './models.js';

export interface Claim {
  job: JobRow;
  leaseId: string;
}

export interface CompleteInput {
  leaseId: string;
  packageSha256: string;
  metrics: JobMetrics;
  threshold: number;
}

const isOpen = (j: JobRow): boolean => OPEN_STATUSES.includes(j.status);

/** Sortable, URL- and version-safe: j<yyyymmddhhmmss>-<8 hex>. */
export function newJobId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 14);
  return `j${stamp}-${randomBytes(4).toString('hex')}`;
}

export const targetVersionOf = (jobId: string): string => `ft-${jobId}`;
export const snapshotIdOf = (jobId: string): string => `ds-${jobId}`;

/** A new job row: queued, never claimed, its snapshot and target version named after its id. */
function queuedJob(j: {
  id: string;
  line: string;
  trigger: string;
  parentVersion: string;
  maxAttempts: number;
  now: Date;
}): JobRow {
  return {
    id: j.id,
    line: j.line,
    status: 'queued',
    trigger: j.trigger,
    parentVersion: j.parentVersion,
    targetVersion: targetVersionOf(j.id),
    datasetSnapshotId: snapshotIdOf(j.id),
    attempt: 0,
    maxAttempts: j.maxAttempts,
    leaseId: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    progress: null,
    packageRef: null,
    resultVersion: null,
    metrics: null,
    threshold: null,
    errorCode: null,
    errorMessage: null,
    createdAt: j.now,
    updatedAt: j.now,
    startedAt: null,
    finishedAt: null,
  };
}

export class JobService {
  constructor(
    private readonly ctx: Ctx,
    readonly store: JobsStore,
    readonly models: JobModels,
  ) {}

  private now(): Date {
    return this.ctx.clock.now();
  }
  private leaseUntil(): Date {
    return new Date(this.now().getTime() + this.ctx.config.jobs.leaseMs);
  }

  async getJob(id: string): Promise<JobRow> {
    const j = await this.store.getJob(id);
    if (!j) throw ctrlError('LW_CTRL_NOT_FOUND', 'job not found');
    return j;
  }

  /** Snapshots the line's review data now and enqueues a fine-tune from the line's live model. */
  async createJob(line: string, trigger: string): Promise<JobRow> {
    const open = await this.store.openJobForLine(line);
    if (open)
      throw ctrlError('LW_CTRL_JOB_OPEN', `line ${line} already has open job ${open.id}`, {
        details: { jobId: open.id },
      });
    const parentVersion = await this.models.liveVersion(line);
    if (parentVersion === null)
      throw ctrlError('LW_CTRL_JOB_NO_PARENT', `line ${line} has no live model to fine-tune from`);
    const events = await this.store.trainingData(line, this.ctx.config.jobs.maxNormalSamples);
    const now = await this.nextCreatedAt(line);
    const id = newJobId(now);
    const fraction = this.ctx.config.jobs.heldOutFraction;
    const built = buildSnapshot(snapshotIdOf(id), events, fraction);
    const total = totalCounts(built.counts);
    // A fine-tune needs defects to learn from; normals alone would only repeat the parent's training.
    if (total.px + total.img === 0)
      throw ctrlError('LW_CTRL_JOB_NO_DATA', `line ${line} has no confirmed defects to train on`, { details: total });
    const snapshot: SnapshotRow = {
      id: snapshotIdOf(id),
      line,
      createdAt: now,
      digest: built.digest,
      heldOutFraction: fraction,
      counts: built.counts,
    };
    const job = queuedJob({ id, line, trigger, parentVersion, maxAttempts: this.ctx.config.jobs.maxAttempts, now });
    if (!(await this.store.createJobWithSnapshot(snapshot, built.items, job))) {
      throw ctrlError('LW_CTRL_JOB_OPEN', `line ${line} already has an open job`);
    }
    this.ctx.log.info({ jobId: id, line, trigger, parentVersion, counts: built.counts }, 'training job queued');
    return job;
  }

  /**
   * A line's jobs are ordered by createdAt ("the last job" is the policy's reference point): keep it strictly
   * increasing per line even when the clock stands still or steps back.
   */
  private async nextCreatedAt(line: string): Promise<Date> {
    const last = await this.store.lastJobForLine(line);
    const t = this.now().getTime();
    return new Date(last && last.createdAt.getTime() >= t ? last.createdAt.getTime() + 1 : t);
  }

  /** Fails jobs whose last allowed lease expired; returns how many. Called by claims and the policy tick. */
  async failExhausted(): Promise<number> {
    let n = 0;
    const now = this.now();
    for (const j of await this.store.claimCandidates(now, 100)) {
      if (j.status === 'queued' || j.attempt < j.maxAttempts) continue;
      const done = await this.store.updateJobIf(
        j.id,
        { status: j.status, leaseId: j.leaseId, leaseExpiredBy: now },
        {
          status: 'failed',
          errorCode: 'LW_CTRL_JOB_ATTEMPTS_EXHAUSTED',
          errorMessage: `lease expired on all ${j.maxAttempts} attempts (last worker: ${j.leaseOwner ?? '?'})`,
          leaseExpiresAt: null,
          finishedAt: now,
          updatedAt: now,
        },
      );
      if (done) {
        n++;
        this.ctx.log.warn({ jobId: j.id, attempts: j.attempt }, 'training job failed: attempts exhausted');
      }
    }
    return n;
  }

  /**
   * A worker that crashed after the registry accepted its package but before the job was marked succeeded leaves
   * an expired job whose version exists. Re-training would only produce a different package under the same version
   * (refused), so the job is finished with the registered version instead of being handed out again.
   */
  private async recoverRegistered(j: JobRow, now: Date): Promise<boolean> {
    if (!(await this.models.hasVersion(j.targetVersion))) return false;
    const done = await this.store.updateJobIf(
      j.id,
      { status: j.status, leaseId: j.leaseId, leaseExpiredBy: now },
      { status: 'succeeded', resultVersion: j.targetVersion, leaseExpiresAt: null, finishedAt: now, updatedAt: now },
    );
    if (done)
      this.ctx.log.warn(
        { jobId: j.id, version: j.targetVersion },
        'expired job already registered its version: marked succeeded',
      );
    return done;
  }

  /** The oldest claimable job with a new lease for `workerId`, or null. */
  async claim(workerId: string): Promise<Claim | null> {
    await this.failExhausted();
    const now = this.now();
    for (const j of await this.store.claimCandidates(now, 20)) {
      if (j.status !== 'queued' && j.attempt >= j.maxAttempts) continue;
      if (j.status !== 'queued' && (await this.recoverRegistered(j, now))) continue;
      const leaseId = randomBytes(16).toString('base64url');
      const patch = {
        status: 'claimed' as const,
        leaseId,
        leaseOwner: workerId,
        leaseExpiresAt: this.leaseUntil(),
        attempt: j.attempt + 1,
        packageRef: null,
        updatedAt: now,
      };
      const expect =
        j.status === 'queued'
          ? { status: j.status, leaseId: j.leaseId }
          : { status: j.status, leaseId: j.leaseId, leaseExpiredBy: now };
      if (await this.store.updateJobIf(j.id, expect, patch)) {
        if (j.status !== 'queued')
          this.ctx.log.warn(
            { jobId: j.id, from: j.leaseOwner, to: workerId, attempt: patch.attempt },
            'expired job lease re-claimed',
          );
        return { job: await this.getJob(j.id), leaseId };
      }
      // Lost the race for this one: try the next.
    }
    return null;
  }

  /** Why a worker's write did not apply: 404, or a coded 409 that says what happened to the job. */
  private async refuse(id: string, leaseId: string): Promise<never> {
    const j = await this.getJob(id);
    const why =
      j.leaseId !== leaseId
        ? j.status === 'queued' || j.leaseId === null
          ? 'the job is not claimed by this lease'
          : `the job was re-claimed by ${j.leaseOwner ?? 'another worker'}`
        : `the job is ${j.status}`;
    throw ctrlError('LW_CTRL_JOB_LEASE_LOST', `lease lost: ${why}`, { details: { status: j.status } });
  }

  async heartbeat(id: string, leaseId: string, progress: JobProgress): Promise<JobRow> {
    const j = await this.getJob(id);
    const now = this.now();
    const ok = await this.store.updateJobIf(
      id,
      { status: ['claimed', 'running'], leaseId },
      { status: 'running', progress, leaseExpiresAt: this.leaseUntil(), startedAt: j.startedAt ?? now, updatedAt: now },
    );
    if (!ok) return this.refuse(id, leaseId);
    return this.getJob(id);
  }

  /** Stores the uploaded tar (content-addressed) and records it as this lease's package. */
  async uploadPackage(id: string, leaseId: string, tar: Buffer): Promise<{ sha256: string; bytes: number }> {
    const j = await this.getJob(id);
    // A worker that did not see the answer to its complete retries upload + complete: same bytes, same answer.
    if (j.status === 'succeeded' && j.leaseId === leaseId && j.packageRef === refOf(tar))
      return { sha256: j.packageRef, bytes: tar.length };
    if (!isOpen(j) || j.leaseId !== leaseId) return this.refuse(id, leaseId);
    const ref = await this.ctx.files.put(tar);
    const ok = await this.store.updateJobIf(
      id,
      { status: ['claimed', 'running'], leaseId },
      { packageRef: ref, updatedAt: this.now() },
    );
    if (!ok) return this.refuse(id, leaseId);
    return { sha256: ref, bytes: tar.length };
  }

  async complete(id: string, input: CompleteInput): Promise<JobRow> {
    const j = await this.getJob(id);
    if (j.status === 'succeeded' && j.leaseId === input.leaseId) return j; // repeated complete: same answer
    if (!isOpen(j) || j.leaseId !== input.leaseId) return this.refuse(id, input.leaseId);
    if (j.packageRef === null || j.packageRef !== input.packageSha256)
      throw ctrlError('LW_CTRL_JOB_PACKAGE_MISSING', 'upload the package with this lease before completing');
    // Renew the lease first so it cannot expire (and be re-claimed) while the registry verifies the package.
    if (
      !(await this.store.updateJobIf(
        id,
        { status: ['claimed', 'running'], leaseId: input.leaseId },
        { leaseExpiresAt: this.leaseUntil() },
      ))
    )
      return this.refuse(id, input.leaseId);
    const tar = await this.ctx.files.get(j.packageRef);
    if (refOf(tar) !== j.packageRef) throw ctrlError('LW_CTRL_INTERNAL', 'stored package does not match its reference');
    const added = await this.models.addVersion({
      version: j.targetVersion,
      line: j.line,
      parentVersion: j.parentVersion,
      jobId: j.id,
      datasetSnapshotId: j.datasetSnapshotId,
      metrics: input.metrics,
      threshold: input.threshold,
      packageTar: tar,
      createdBy: `worker:${j.leaseOwner ?? 'unknown'}`,
    });
    const now = this.now();
    const ok = await this.store.updateJobIf(
      id,
      { status: ['claimed', 'running'], leaseId: input.leaseId },
      {
        status: 'succeeded',
        resultVersion: added.version,
        metrics: input.metrics,
        threshold: input.threshold,
        leaseExpiresAt: null,
        finishedAt: now,
        updatedAt: now,
      },
    );
    if (!ok) {
      const again = await this.getJob(id);
      if (again.status === 'succeeded' && again.leaseId === input.leaseId) return again; // a concurrent repeat won
      return this.refuse(id, input.leaseId);
    }
    this.ctx.log.info({ jobId: id, version: added.version }, 'training job succeeded');
    return this.getJob(id);
  }

  async fail(id: string, leaseId: string, code: string, message: string): Promise<JobRow> {
    const j = await this.getJob(id);
    if (j.status === 'failed' && j.leaseId === leaseId) return j;
    const now = this.now();
    const ok = await this.store.updateJobIf(
      id,
      { status: ['claimed', 'running'], leaseId },
      {
        status: 'failed',
        errorCode: code,
        errorMessage: message,
        leaseExpiresAt: null,
        finishedAt: now,
        updatedAt: now,
      },
    );
    if (!ok) return this.refuse(id, leaseId);
    this.ctx.log.warn({ jobId: id, code, message }, 'training job failed');
    return this.getJob(id);
  }

  async cancel(id: string, by: string): Promise<JobRow> {
    for (let attempt = 0; ; attempt++) {
      const j = await this.getJob(id);
      if (!isOpen(j)) throw ctrlError('LW_CTRL_JOB_FINISHED', `job ${id} is already ${j.status}`);
      const now = this.now();
      const ok = await this.store.updateJobIf(
        id,
        { status: j.status, leaseId: j.leaseId },
        {
          status: 'cancelled',
          errorMessage: `cancelled by ${by}`,
          leaseExpiresAt: null,
          finishedAt: now,
          updatedAt: now,
        },
      );
      if (ok) return this.getJob(id);
      // The job moved (claimed, heartbeat) between read and write: look again, a few times.
      if (attempt >= 10) throw ctrlError('LW_CTRL_CONFLICT', `job ${id} keeps changing; try again`);
    }
  }

  /** Confirmed masks on the line that the line's last job's snapshot does not hold. */
  async newMasks(line: string, pxIds?: string[]): Promise<number> {
    const ids =
      pxIds ??
      (await this.store.labelledEvents(line))
        .filter((e) => e.labelStatus === 'confirmed' && e.maskRef)
        .map((e) => e.id);
    const last = await this.store.lastJobForLine(line);
    if (!last) return ids.length;
    const seen = await this.store.snapshotEventIds(last.datasetSnapshotId, 'px');
    return ids.filter((id) => !seen.has(id)).length;
  }
}
