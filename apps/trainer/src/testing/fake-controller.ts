/**
 * A stand-in for the controller's worker API (libs/protocol/src/http/jobs.ts) for the worker's tests: node:http on
 * 127.0.0.1, port 0, an in-memory job queue with leases, bodies checked against the protocol schemas (a violation
 * is answered 400 and recorded, so a test fails on any drift), answers shaped by the same schemas.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readManifest } from '@linewatch/datasets';
import {
  ClaimBody,
  CompleteBody,
  FailBody,
  HeartbeatBody,
  type DatasetItem,
  type DatasetOrigin,
  type DatasetManifest,
  type JobView,
} from '@linewatch/protocol/http';
import { decodeImage, encodeJpeg } from '@linewatch/vision';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { REJECTED_DEFECT_TYPE } from '../train/finetune-plan.js';
import type { DatasetOnDisk } from '../worker/types.js';

export interface FakeJob {
  view: JobView;
  leaseId: string | null;
  leaseExpires: number;
  heartbeats: HeartbeatBody['progress'][];
  uploaded: Uint8Array | null;
  completed: CompleteBody | null;
  failed: FailBody | null;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function originOf(label: number | null, masked: boolean, defectType: string | undefined): DatasetOrigin {
  if (label === 1) return masked ? 'confirmed-mask' : 'confirmed-image';
  return defectType === REJECTED_DEFECT_TYPE ? 'rejected' : 'sampled-normal';
}

export class FakeController {
  readonly jobs: FakeJob[] = [];
  /** Every request as `METHOD /path` (query left out). */
  readonly requests: string[] = [];
  readonly violations: string[] = [];
  onHeartbeat: ((job: FakeJob, body: HeartbeatBody) => void) | null = null;
  /** Serve every image with one byte flipped (a corrupted transfer). */
  tamper = false;
  private items: (DatasetItem & { bytes: Uint8Array; mask: Uint8Array | null })[] = [];
  private server!: Server;
  baseUrl = '';

  private constructor(
    readonly token: string,
    readonly leaseMs: number,
    private readonly parentTar: Uint8Array,
  ) {}

  /** Serves `dataset` (train + held-out manifests) as one snapshot; frames are re-encoded as JPEG like the agents'. */
  static async start(opts: {
    token: string;
    leaseMs: number;
    parentTar: Uint8Array;
    dataset: DatasetOnDisk;
  }): Promise<FakeController> {
    const f = new FakeController(opts.token, opts.leaseMs, opts.parentTar);
    for (const [split, path] of [
      ['train', opts.dataset.train],
      ['heldout', opts.dataset.heldOut],
    ] as const) {
      for (const s of await readManifest(path)) {
        const bytes = await encodeJpeg(await decodeImage(new Uint8Array(readFileSync(s.path))), { quality: 95 });
        const mask = s.maskPath ? new Uint8Array(readFileSync(s.maskPath)) : null;
        const id = `ev-${f.items.length}`;
        f.items.push({
          id,
          label: s.label === 1 ? 1 : 0,
          kind: s.label !== 1 ? 'normal' : mask ? 'px' : 'img',
          // As the controller says where a label came from: a normal marked rejected in the manifest is a rejected
          // false alarm, any other normal a sampled frame.
          origin: originOf(s.label, mask !== null, s.entry.defectType),
          split,
          line: 'line-a',
          camera: 'cam-1',
          width: 80,
          height: 72,
          imageUrl: `/api/worker/datasets/snap-1/items/${id}/image`,
          maskUrl: mask ? `/api/worker/datasets/snap-1/items/${id}/mask` : null,
          imageSha256: sha(bytes),
          maskSha256: mask ? sha(mask) : null,
          bytes,
          mask,
        });
      }
    }
    f.server = createServer((req, res) => void f.handle(req, res));
    await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
    f.baseUrl = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    return f;
  }

  addJob(id: string, createdAt = new Date()): FakeJob {
    const now = createdAt.toISOString();
    const job: FakeJob = {
      view: {
        id,
        line: 'line-a',
        status: 'queued',
        trigger: 'admin:u1',
        parentVersion: '1.0.0+1',
        targetVersion: `line-a-${id}`,
        datasetSnapshotId: 'snap-1',
        attempt: 0,
        maxAttempts: 3,
        leaseOwner: null,
        leaseExpiresAt: null,
        progress: null,
        resultVersion: null,
        metrics: null,
        threshold: null,
        errorCode: null,
        errorMessage: null,
        createdAt: now,
        updatedAt: now,
        startedAt: null,
        finishedAt: null,
      },
      leaseId: null,
      leaseExpires: 0,
      heartbeats: [],
      uploaded: null,
      completed: null,
      failed: null,
    };
    this.jobs.push(job);
    return job;
  }

  /** Takes the lease away as if it had expired and another worker had claimed the job. */
  revoke(job: FakeJob): void {
    job.leaseId = `stolen-${randomBytes(6).toString('hex')}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
    const data = type === 'application/json' ? Buffer.from(JSON.stringify(body)) : Buffer.from(body as Uint8Array);
    res.writeHead(status, { 'content-type': type, 'content-length': data.length });
    res.end(data);
  }

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    this.send(res, status, { code, message });
  }

  private checkBody(schema: TSchema, value: unknown, what: string): boolean {
    const c = TypeCompiler.Compile(schema);
    if (c.Check(value)) return true;
    const first = c.Errors(value).First();
    this.violations.push(`${what}: ${first?.path ?? ''} ${first?.message ?? ''}`);
    return false;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    this.requests.push(`${req.method} ${url.pathname}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return this.error(res, 401, 'LW_CTRL_UNAUTHENTICATED', 'worker token required');
    const m = url.pathname.match(/^\/api\/worker\/jobs\/([^/]+)\/(heartbeat|parent-package|package|complete|fail)$/);
    const job = m ? this.jobs.find((j) => j.view.id === decodeURIComponent(m[1]!)) : undefined;
    if (m && !job) return this.error(res, 404, 'LW_CTRL_NOT_FOUND', 'no such job');
    if (req.method === 'POST' && url.pathname === '/api/worker/claim') return this.claim(res, jsonOf(raw));
    if (req.method === 'GET' && url.pathname === '/api/worker/datasets/snap-1') return this.manifest(res);
    const file = url.pathname.match(/^\/api\/worker\/datasets\/snap-1\/items\/([^/]+)\/(image|mask)$/);
    if (req.method === 'GET' && file) return this.itemFile(res, file[1]!, file[2]!);
    if (!m || !job) return this.error(res, 404, 'LW_CTRL_NOT_FOUND', `no route ${req.method} ${url.pathname}`);
    const route = `${req.method} ${m[2]}`;
    if (route === 'GET parent-package') return this.send(res, 200, this.parentTar, 'application/x-tar');
    if (route === 'POST heartbeat') return this.heartbeat(res, job, jsonOf(raw));
    if (route === 'PUT package') return this.upload(res, job, req, url, raw);
    if (route === 'POST complete') return this.complete(res, job, jsonOf(raw));
    if (route === 'POST fail') return this.fail(res, job, jsonOf(raw));
    return this.error(res, 404, 'LW_CTRL_NOT_FOUND', `no route ${req.method} ${url.pathname}`);
  }

  private leaseOk(job: FakeJob, leaseId: unknown): boolean {
    return job.leaseId !== null && leaseId === job.leaseId && Date.now() < job.leaseExpires;
  }

  private claim(res: ServerResponse, body: unknown): void {
    if (!this.checkBody(ClaimBody, body, 'claim')) return this.error(res, 400, 'LW_CTRL_BAD_REQUEST', 'bad claim');
    const next = this.jobs.find(
      (j) =>
        j.view.status === 'queued' ||
        ((j.view.status === 'claimed' || j.view.status === 'running') && Date.now() >= j.leaseExpires),
    );
    if (!next) return this.send(res, 200, { claim: null });
    next.leaseId = randomBytes(12).toString('hex');
    next.leaseExpires = Date.now() + this.leaseMs;
    next.view = {
      ...next.view,
      status: 'claimed',
      attempt: next.view.attempt + 1,
      leaseOwner: (body as ClaimBody).workerId,
    };
    return this.send(res, 200, {
      claim: {
        job: next.view,
        leaseId: next.leaseId,
        leaseMs: this.leaseMs,
        manifestUrl: '/api/worker/datasets/snap-1',
        parentPackageUrl: `/api/worker/jobs/${next.view.id}/parent-package`,
        packageUrl: `/api/worker/jobs/${next.view.id}/package`,
        maxPackageBytes: 64 * 1024 * 1024,
      },
    });
  }

  private manifest(res: ServerResponse): void {
    const counts = { px: 0, img: 0, normal: 0 };
    const manifest: DatasetManifest = {
      snapshot: {
        id: 'snap-1',
        line: 'line-a',
        createdAt: new Date().toISOString(),
        digest: 'x',
        counts: { train: counts, heldout: counts },
        heldOutFraction: 0.25,
      },
      items: this.items.map(({ bytes: _b, mask: _m, ...item }) => item),
    };
    return this.send(res, 200, manifest);
  }

  private itemFile(res: ServerResponse, id: string, kind: string): void {
    const item = this.items.find((i) => i.id === id);
    if (!item || (kind === 'mask' && !item.mask)) return this.error(res, 404, 'LW_CTRL_NOT_FOUND', 'no such item');
    const bytes = this.tamper ? item.bytes.map((b, i) => (i === 100 ? b ^ 0xff : b)) : item.bytes;
    return kind === 'image' ? this.send(res, 200, bytes, 'image/jpeg') : this.send(res, 200, item.mask, 'image/png');
  }

  private heartbeat(res: ServerResponse, job: FakeJob, body: unknown): void {
    if (!this.checkBody(HeartbeatBody, body, 'heartbeat'))
      return this.error(res, 400, 'LW_CTRL_BAD_REQUEST', 'bad heartbeat');
    const hb = body as HeartbeatBody;
    this.onHeartbeat?.(job, hb);
    if (!this.leaseOk(job, hb.leaseId)) return this.error(res, 409, 'LW_CTRL_JOB_LEASE_LOST', 'lease lost');
    // A heartbeat that was in flight when the job completed (or failed) arrives late: refused like the real
    // controller does (a finished job stays finished).
    if (job.completed || job.failed)
      return this.error(res, 409, 'LW_CTRL_JOB_LEASE_LOST', `lease lost: the job is ${job.view.status}`);
    job.heartbeats.push(hb.progress);
    job.leaseExpires = Date.now() + this.leaseMs;
    job.view = { ...job.view, status: 'running', progress: hb.progress };
    return this.send(res, 200, { leaseExpiresAt: new Date(job.leaseExpires).toISOString(), status: 'running' });
  }

  private upload(res: ServerResponse, job: FakeJob, req: IncomingMessage, url: URL, raw: Buffer): void {
    if (!this.leaseOk(job, url.searchParams.get('lease')))
      return this.error(res, 409, 'LW_CTRL_JOB_LEASE_LOST', 'lease lost');
    if (req.headers['content-type'] !== 'application/x-tar')
      return this.error(res, 415, 'LW_CTRL_UNSUPPORTED_MEDIA', 'tar expected');
    job.uploaded = new Uint8Array(raw);
    return this.send(res, 200, { sha256: sha(job.uploaded), bytes: job.uploaded.length });
  }

  private complete(res: ServerResponse, job: FakeJob, body: unknown): void {
    if (!this.checkBody(CompleteBody, body, 'complete'))
      return this.error(res, 400, 'LW_CTRL_BAD_REQUEST', 'bad complete');
    const c = body as CompleteBody;
    if (!this.leaseOk(job, c.leaseId)) return this.error(res, 409, 'LW_CTRL_JOB_LEASE_LOST', 'lease lost');
    if (!job.uploaded || sha(job.uploaded) !== c.packageSha256)
      return this.error(res, 409, 'LW_CTRL_JOB_NO_PACKAGE', 'upload the package first');
    job.completed = c;
    job.view = {
      ...job.view,
      status: 'succeeded',
      resultVersion: job.view.targetVersion,
      metrics: c.metrics,
      threshold: c.threshold,
      finishedAt: new Date().toISOString(),
    };
    return this.send(res, 200, job.view);
  }

  private fail(res: ServerResponse, job: FakeJob, body: unknown): void {
    if (!this.checkBody(FailBody, body, 'fail')) return this.error(res, 400, 'LW_CTRL_BAD_REQUEST', 'bad fail');
    const f = body as FailBody;
    if (!this.leaseOk(job, f.leaseId)) return this.error(res, 409, 'LW_CTRL_JOB_LEASE_LOST', 'lease lost');
    job.failed = f;
    job.view = {
      ...job.view,
      status: 'failed',
      errorCode: f.code,
      errorMessage: f.message,
      finishedAt: new Date().toISOString(),
    };
    return this.send(res, 200, job.view);
  }
}

/** A request body as JSON (an empty body reads as null, which the schema checks then refuse). */
function jsonOf(raw: Buffer): unknown {
  return JSON.parse(raw.toString('utf8') || 'null');
}
