/**
 * `WorkerIO` over the controller's worker API (`/api/worker/*`, libs/protocol/src/http/jobs.ts), bearer token auth.
 * Every answer is checked against the protocol's own schema before use; a 409 on a lease-bound call means another
 * worker owns the job now (LW_TRAINER_LEASE_LOST). The dataset snapshot becomes two JSONL manifests
 * (`@linewatch/datasets` format) beside the downloaded frames and masks, each file checked against its sha256.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeManifest, type ManifestEntry } from '@linewatch/datasets';
import {
  ClaimedJob as ClaimedJobSchema, DatasetManifest, HeartbeatResponse, JobView, UploadedPackage,
  type CompleteBody, type DatasetItem, type FailBody, type HeartbeatBody, type JobProgress as WireProgress,
} from '@linewatch/protocol/http';
import { FormatRegistry, Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { TrainerError } from '../errors.js';
import type { ClaimedJob, DatasetOnDisk, HeartbeatAnswer, JobFailure, JobProgress, JobResult, WorkerIO } from './types.js';

// The protocol's dates are JSON-schema `date-time`; TypeBox checks formats only once they are registered.
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}T/.test(v));

const ClaimResponse = Type.Object({ claim: Type.Union([ClaimedJobSchema, Type.Null()]) });
const checkers = new Map<TSchema, ReturnType<typeof TypeCompiler.Compile>>();

function checked<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  let c = checkers.get(schema);
  if (!c) checkers.set(schema, (c = TypeCompiler.Compile(schema)));
  if (c.Check(value)) return value as Static<T>;
  const first = c.Errors(value).First();
  throw new TrainerError('LW_TRAINER_CONTROLLER', `${what}: the controller's answer does not match the protocol (${first ? `${first.path || '/'} ${first.message}` : 'invalid'})`, {
    what,
  });
}

export interface ControllerClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  readonly baseUrl: string;
  readonly token: string;
  /** Shown in the UI as the lease owner. */
  readonly workerId: string;
  readonly fetch?: typeof fetch;
  /** Per request (downloads and the upload included). */
  readonly timeoutMs?: number;
  /** Parallel dataset file downloads. */
  readonly downloadConcurrency?: number;
}

interface Lease {
  readonly leaseId: string;
  readonly wire: Static<typeof ClaimedJobSchema>;
}

const LEASE_LOST_STATUSES = new Set([404, 409]);

export class ControllerClient implements WorkerIO {
  private readonly fetchFn: typeof fetch;
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly opts: ControllerClientOptions) {
    this.fetchFn = opts.fetch ?? fetch;
  }

  private url(path: string): string {
    return new URL(path, this.opts.baseUrl).toString();
  }

  private async request(method: string, path: string, what: string, init: { json?: unknown; body?: Uint8Array; contentType?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}` };
    let body: string | Uint8Array | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.body) {
      headers['content-type'] = init.contentType ?? 'application/octet-stream';
      body = init.body;
    }
    let res: Response;
    try {
      res = await this.fetchFn(this.url(path), { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(this.opts.timeoutMs ?? 120_000) });
    } catch (e) {
      throw new TrainerError('LW_TRAINER_CONTROLLER', `${what}: ${method} ${path} failed: ${(e as Error).message}`, { what, path }, { cause: e });
    }
    return res;
  }

  /** Throws a coded error for a non-2xx answer; `leaseBound` turns 404/409 into LW_TRAINER_LEASE_LOST. */
  private async ok(res: Response, what: string, leaseBound: boolean): Promise<Response> {
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let code = '';
    let message = text.slice(0, 300);
    try {
      const b = JSON.parse(text) as { code?: unknown; message?: unknown };
      if (typeof b.code === 'string') code = b.code;
      if (typeof b.message === 'string') message = b.message;
    } catch {
      // not JSON: keep the text
    }
    const detail = `${what}: HTTP ${res.status}${code ? ` ${code}` : ''}: ${message}`;
    if (leaseBound && LEASE_LOST_STATUSES.has(res.status)) throw new TrainerError('LW_TRAINER_LEASE_LOST', detail, { status: res.status, code });
    throw new TrainerError('LW_TRAINER_CONTROLLER', detail, { status: res.status, code });
  }

  private async json<T extends TSchema>(res: Response, schema: T, what: string): Promise<Static<T>> {
    let value: unknown;
    try {
      value = await res.json();
    } catch (e) {
      throw new TrainerError('LW_TRAINER_CONTROLLER', `${what}: the answer is not JSON`, { what }, { cause: e });
    }
    return checked(schema, value, what);
  }

  private lease(job: ClaimedJob): Lease {
    const l = this.leases.get(job.id);
    if (!l) throw new TrainerError('LW_TRAINER_LEASE_LOST', `job ${job.id} was not claimed by this worker`, { jobId: job.id });
    return l;
  }

  async claim(): Promise<ClaimedJob | null> {
    const res = await this.ok(await this.request('POST', '/api/worker/claim', 'claim', { json: { workerId: this.opts.workerId } }), 'claim', false);
    const { claim } = await this.json(res, ClaimResponse, 'claim');
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
    const res = await this.request('POST', `/api/worker/jobs/${encodeURIComponent(job.id)}/heartbeat`, 'heartbeat', { json: body });
    if (LEASE_LOST_STATUSES.has(res.status)) return 'lost';
    await this.json(await this.ok(res, 'heartbeat', true), HeartbeatResponse, 'heartbeat');
    return 'ok';
  }

  private async download(path: string, what: string): Promise<Uint8Array> {
    const res = await this.ok(await this.request('GET', path, what), what, true);
    return new Uint8Array(await res.arrayBuffer());
  }

  async fetchParent(job: ClaimedJob, dest: string): Promise<void> {
    const url = this.lease(job).wire.parentPackageUrl;
    if (url === null) throw new TrainerError('LW_TRAINER_JOB_DATA', `job ${job.id} has no parent model to fine-tune from`, { jobId: job.id });
    writeFileSync(dest, await this.download(url, 'parent package'));
  }

  async fetchDataset(job: ClaimedJob, dir: string): Promise<DatasetOnDisk> {
    const l = this.lease(job);
    const manifest = await this.json(await this.ok(await this.request('GET', l.wire.manifestUrl, 'dataset manifest'), 'dataset manifest', true), DatasetManifest, 'dataset manifest');
    mkdirSync(join(dir, 'frames'), { recursive: true });
    mkdirSync(join(dir, 'masks'), { recursive: true });
    const entries = new Map<'train' | 'heldout', ManifestEntry[]>([['train', []], ['heldout', []]]);
    const items = manifest.items.map((item, i) => ({ item, i }));
    const fetchOne = async ({ item, i }: { item: DatasetItem; i: number }): Promise<void> => {
      // Index-based names: item ids are opaque strings, file names must be safe.
      const image = `frames/${i}.jpg`;
      writeFileSync(join(dir, image), await this.fetchChecked(item.imageUrl, item.imageSha256, `item ${item.id} image`));
      let mask: string | undefined;
      if (item.kind === 'px') {
        if (item.maskUrl === null || item.maskSha256 === null) throw new TrainerError('LW_TRAINER_CONTROLLER', `dataset item ${item.id} is kind px without a mask`);
        mask = `masks/${i}.png`;
        writeFileSync(join(dir, mask), await this.fetchChecked(item.maskUrl, item.maskSha256, `item ${item.id} mask`));
      }
      entries.get(item.split)![i] = {
        image, ...(mask ? { mask } : {}), label: item.label, ...(item.label === 1 ? { defectType: item.kind } : {}),
        ...(item.line ? { lineId: item.line } : {}), ...(item.camera ? { cameraId: item.camera.slice(0, 128) } : {}),
      };
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
    const bytes = await this.download(path, what);
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== sha256) throw new TrainerError('LW_TRAINER_CONTROLLER', `${what}: downloaded bytes have sha256 ${got}, the manifest says ${sha256}`, { what });
    return bytes;
  }

  async complete(job: ClaimedJob, result: JobResult): Promise<void> {
    const l = this.lease(job);
    const u = new URL(l.wire.packageUrl, this.opts.baseUrl);
    if (!u.searchParams.has('lease')) u.searchParams.set('lease', l.leaseId);
    if (result.packageTar.length > l.wire.maxPackageBytes) {
      throw new TrainerError('LW_TRAINER_JOB_DATA', `the package is ${result.packageTar.length} bytes, the controller accepts ${l.wire.maxPackageBytes}`);
    }
    const put = await this.ok(
      await this.request('PUT', `${u.pathname}${u.search}`, 'package upload', { body: result.packageTar, contentType: 'application/x-tar' }),
      'package upload',
      true,
    );
    const uploaded = await this.json(put, UploadedPackage, 'package upload');
    if (uploaded.sha256 !== result.packageSha256 || uploaded.bytes !== result.packageTar.length) {
      throw new TrainerError('LW_TRAINER_CONTROLLER', `package upload: the controller stored ${uploaded.bytes} bytes with sha256 ${uploaded.sha256}, we sent ${result.packageTar.length} bytes ${result.packageSha256}`);
    }
    const body: CompleteBody = { leaseId: l.leaseId, packageSha256: result.packageSha256, metrics: result.metrics, threshold: result.threshold };
    const res = await this.ok(await this.request('POST', `/api/worker/jobs/${encodeURIComponent(job.id)}/complete`, 'complete', { json: body }), 'complete', true);
    const view = await this.json(res, JobView, 'complete');
    if (view.resultVersion !== null && view.resultVersion !== result.version) {
      throw new TrainerError('LW_TRAINER_CONTROLLER', `complete: the controller registered ${view.resultVersion}, expected ${result.version}`);
    }
    this.leases.delete(job.id);
  }

  async fail(job: ClaimedJob, failure: JobFailure): Promise<void> {
    const l = this.lease(job);
    const body: FailBody = { leaseId: l.leaseId, code: failure.code.slice(0, 64), message: failure.message.slice(0, 2000) };
    await this.ok(await this.request('POST', `/api/worker/jobs/${encodeURIComponent(job.id)}/fail`, 'fail', { json: body }), 'fail', true);
    this.leases.delete(job.id);
  }

  /** Forget a job (lost or stopped) so the map does not grow. */
  release(job: ClaimedJob): void {
    this.leases.delete(job.id);
  }
}
