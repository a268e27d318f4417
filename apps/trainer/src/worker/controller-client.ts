/**
 * `WorkerIO` over the controller's worker API (`/api/worker/*`, libs/protocol/src/http/jobs.ts), bearer token auth,
 * through the protocol's typed client: every answer is checked against the route's schema before use. The client's
 * coded errors become the trainer's: a 404/409 on a lease-bound call means another worker owns the job now
 * (LW_TRAINER_LEASE_LOST), anything else is LW_TRAINER_CONTROLLER. The dataset snapshot becomes two JSONL manifests
 * (`@linewatch/datasets` format) beside the downloaded frames and masks, each file checked against its sha256.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeManifest, type ManifestEntry } from '@linewatch/datasets';
import { ApiClient, isApiError } from '@linewatch/protocol/client';
import {
  ClaimJobRoute,
  CompleteJobRoute,
  DatasetFileRoute,
  DatasetManifestRoute,
  FailJobRoute,
  HeartbeatRoute,
  ParentPackageRoute,
  UploadPackageRoute,
  type ClaimedJob as WireClaim,
  type CompleteBody,
  type DatasetItem,
  type FailBody,
  type HeartbeatBody,
  type JobProgress as WireProgress,
} from '@linewatch/protocol/http';
import { TrainerError } from '../errors.js';
import { manifestEntry } from './dataset-entry.js';
import type {
  ClaimedJob,
  DatasetOnDisk,
  HeartbeatAnswer,
  JobFailure,
  JobProgress,
  JobResult,
  WorkerIO,
} from './types.js';

export interface ControllerClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  readonly baseUrl: string;
  readonly token: string;
  /** Shown in the UI as the lease owner. */
  readonly workerId: string;
  readonly fetch?: typeof fetch;
  /** CA certificate (PEM) the controller's https certificate must chain to (not together with `fetch`). */
  readonly ca?: string;
  /** Per request (downloads and the upload included). */
  readonly timeoutMs?: number;
  /** Parallel dataset file downloads. */
  readonly downloadConcurrency?: number;
}

interface Lease {
  readonly leaseId: string;
  readonly wire: WireClaim;
}

const LEASE_LOST_STATUSES = new Set([404, 409]);

/** The trainer's code for a failed call; `leaseBound` turns a 404/409 answer into LW_TRAINER_LEASE_LOST. */
function trainerError(e: unknown, what: string, leaseBound: boolean): TrainerError {
  if (e instanceof TrainerError) return e;
  if (!isApiError(e)) return new TrainerError('LW_TRAINER_CONTROLLER', `${what}: ${String(e)}`, { what }, { cause: e });
  if (e.status !== null && (e.status < 200 || e.status > 299)) {
    const detail = `${what}: HTTP ${e.status} ${e.message}`;
    const code = leaseBound && LEASE_LOST_STATUSES.has(e.status) ? 'LW_TRAINER_LEASE_LOST' : 'LW_TRAINER_CONTROLLER';
    return new TrainerError(code, detail, { status: e.status, code: e.code }, { cause: e });
  }
  // No answer, a late one, or a 2xx answer off the protocol.
  return new TrainerError('LW_TRAINER_CONTROLLER', `${what}: ${e.message}`, { what, code: e.code }, { cause: e });
}

async function guarded<T>(what: string, leaseBound: boolean, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw trainerError(e, what, leaseBound);
  }
}

export class ControllerClient implements WorkerIO {
  private readonly api: ApiClient;
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly opts: ControllerClientOptions) {
    this.api = new ApiClient({
      baseUrl: opts.baseUrl,
      auth: { kind: 'bearer', token: opts.token },
      timeoutMs: opts.timeoutMs ?? 120_000,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
    });
  }

  private lease(job: ClaimedJob): Lease {
    const l = this.leases.get(job.id);
    if (!l)
      throw new TrainerError('LW_TRAINER_LEASE_LOST', `job ${job.id} was not claimed by this worker`, {
        jobId: job.id,
      });
    return l;
  }

  async claim(): Promise<ClaimedJob | null> {
    const { claim } = await guarded('claim', false, () =>
      this.api.call(ClaimJobRoute, { body: { workerId: this.opts.workerId } }),
    );
    if (!claim) return null;
    this.leases.set(claim.job.id, { leaseId: claim.leaseId, wire: claim });
    const created = Date.parse(claim.job.createdAt);
    return {
      id: claim.job.id,
      line: claim.job.line,
      parentVersion: claim.job.parentVersion,
      datasetSnapshotId: claim.job.datasetSnapshotId,
      targetVersion: claim.job.targetVersion,
      createdAt: Number.isNaN(created) ? null : created,
      leaseMs: claim.leaseMs,
    };
  }

  async heartbeat(job: ClaimedJob, p: JobProgress): Promise<HeartbeatAnswer> {
    const l = this.lease(job);
    const progress: WireProgress = {
      phase: p.phase,
      ...(p.epoch !== null ? { epoch: Math.round(p.epoch) } : {}),
      ...(p.epochs !== null ? { epochs: Math.round(p.epochs) } : {}),
      loss: p.loss !== null && Number.isFinite(p.loss) ? p.loss : null,
      etaS: p.etaS,
    };
    const body: HeartbeatBody = { leaseId: l.leaseId, progress };
    try {
      await this.api.call(HeartbeatRoute, { params: { id: job.id }, body });
      return 'ok';
    } catch (e) {
      if (isApiError(e) && e.status !== null && LEASE_LOST_STATUSES.has(e.status)) return 'lost';
      throw trainerError(e, 'heartbeat', true);
    }
  }

  async fetchParent(job: ClaimedJob, dest: string): Promise<void> {
    const url = this.lease(job).wire.parentPackageUrl;
    if (url === null)
      throw new TrainerError('LW_TRAINER_JOB_DATA', `job ${job.id} has no parent model to fine-tune from`, {
        jobId: job.id,
      });
    writeFileSync(dest, await guarded('parent package', true, () => this.api.call(ParentPackageRoute, { path: url })));
  }

  async fetchDataset(job: ClaimedJob, dir: string): Promise<DatasetOnDisk> {
    const l = this.lease(job);
    const manifest = await guarded('dataset manifest', true, () =>
      this.api.call(DatasetManifestRoute, { path: l.wire.manifestUrl }),
    );
    mkdirSync(join(dir, 'frames'), { recursive: true });
    mkdirSync(join(dir, 'masks'), { recursive: true });
    const entries = new Map<'train' | 'heldout', ManifestEntry[]>([
      ['train', []],
      ['heldout', []],
    ]);
    const items = manifest.items.map((item, i) => ({ item, i }));
    const fetchOne = async ({ item, i }: { item: DatasetItem; i: number }): Promise<void> => {
      // Index-based names: item ids are opaque strings, file names must be safe.
      const image = `frames/${i}.jpg`;
      writeFileSync(
        join(dir, image),
        await this.fetchChecked(item.imageUrl, item.imageSha256, `item ${item.id} image`),
      );
      let mask: string | undefined;
      if (item.kind === 'px') {
        if (item.maskUrl === null || item.maskSha256 === null)
          throw new TrainerError('LW_TRAINER_CONTROLLER', `dataset item ${item.id} is kind px without a mask`);
        mask = `masks/${i}.png`;
        writeFileSync(join(dir, mask), await this.fetchChecked(item.maskUrl, item.maskSha256, `item ${item.id} mask`));
      }
      entries.get(item.split)![i] = manifestEntry(item, image, mask);
    };
    const queue = [...items];
    const workers = Array.from({ length: Math.max(1, this.opts.downloadConcurrency ?? 4) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await fetchOne(next);
    });
    await Promise.all(workers);
    const paths = { train: join(dir, 'train.jsonl'), heldOut: join(dir, 'heldout.jsonl') };
    await writeManifest(paths.train, entries.get('train')!.filter(Boolean));
    await writeManifest(paths.heldOut, entries.get('heldout')!.filter(Boolean));
    return paths;
  }

  private async fetchChecked(path: string, sha256: string, what: string): Promise<Uint8Array> {
    const bytes = await guarded(what, true, () => this.api.call(DatasetFileRoute, { path }));
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== sha256)
      throw new TrainerError(
        'LW_TRAINER_CONTROLLER',
        `${what}: downloaded bytes have sha256 ${got}, the manifest says ${sha256}`,
        { what },
      );
    return bytes;
  }

  async complete(job: ClaimedJob, result: JobResult): Promise<void> {
    const l = this.lease(job);
    const u = new URL(l.wire.packageUrl, this.opts.baseUrl);
    if (!u.searchParams.has('lease')) u.searchParams.set('lease', l.leaseId);
    if (result.packageTar.length > l.wire.maxPackageBytes) {
      throw new TrainerError(
        'LW_TRAINER_JOB_DATA',
        `the package is ${result.packageTar.length} bytes, the controller accepts ${l.wire.maxPackageBytes}`,
      );
    }
    // The url the claim handed out, with its own query kept (the lease added if it lacks one).
    const query = { ...Object.fromEntries(u.searchParams), lease: u.searchParams.get('lease') ?? l.leaseId };
    const uploaded = await guarded('package upload', true, () =>
      this.api.call(UploadPackageRoute, { path: u.pathname, query, body: result.packageTar }),
    );
    if (uploaded.sha256 !== result.packageSha256 || uploaded.bytes !== result.packageTar.length) {
      throw new TrainerError(
        'LW_TRAINER_CONTROLLER',
        `package upload: the controller stored ${uploaded.bytes} bytes with sha256 ${uploaded.sha256}, we sent ${result.packageTar.length} bytes ${result.packageSha256}`,
      );
    }
    const body: CompleteBody = {
      leaseId: l.leaseId,
      packageSha256: result.packageSha256,
      metrics: result.metrics,
      threshold: result.threshold,
    };
    const view = await guarded('complete', true, () =>
      this.api.call(CompleteJobRoute, { params: { id: job.id }, body }),
    );
    if (view.resultVersion !== null && view.resultVersion !== result.version) {
      throw new TrainerError(
        'LW_TRAINER_CONTROLLER',
        `complete: the controller registered ${view.resultVersion}, expected ${result.version}`,
      );
    }
    this.leases.delete(job.id);
  }

  async fail(job: ClaimedJob, failure: JobFailure): Promise<void> {
    const l = this.lease(job);
    const body: FailBody = {
      leaseId: l.leaseId,
      code: failure.code.slice(0, 64),
      message: failure.message.slice(0, 2000),
    };
    await guarded('fail', true, () => this.api.call(FailJobRoute, { params: { id: job.id }, body }));
    this.leases.delete(job.id);
  }

  /** Forget a job (lost or stopped) so the map does not grow. */
  release(job: ClaimedJob): void {
    this.leases.delete(job.id);
  }
}
