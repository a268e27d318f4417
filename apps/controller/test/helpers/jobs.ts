/** Fixtures for training-job tests: an in-memory registry (JobModels), labelled review events, a worker client. */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import type { App } from '../../src/app.js';
import { ctrlError } from '../../src/errors.js';
import type { CandidateVersion, JobModels } from '../../src/jobs/models.js';

export const WORKER_TOKEN = 'test-worker-token-0123456789abcdef0123456789';

/** Registry stand-in: versions with their tar; addVersion idempotent per (version, sha256), conflicts otherwise. */
export class MemoryModels implements JobModels {
  readonly live = new Map<string, string>();
  readonly packages = new Map<string, Buffer>();
  readonly added: CandidateVersion[] = [];
  /** When set, addVersion throws it (e.g. a bad signature). */
  refuse: Error | null = null;

  async liveVersion(line: string): Promise<string | null> {
    return this.live.get(line) ?? null;
  }
  async hasVersion(version: string): Promise<boolean> {
    return this.packages.has(version);
  }
  async packageTar(version: string): Promise<Buffer | null> {
    return this.packages.get(version) ?? null;
  }
  async addVersion(v: CandidateVersion): Promise<{ version: string }> {
    if (this.refuse) throw this.refuse;
    const existing = this.packages.get(v.version);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    if (existing && sha(existing) !== sha(v.packageTar))
      throw ctrlError('LW_CTRL_CONFLICT', `version ${v.version} taken`);
    if (!existing) {
      this.packages.set(v.version, v.packageTar);
      this.added.push(v);
    }
    return { version: v.version };
  }
}

export interface SeedSpec {
  line: string;
  camera?: string;
  label: 'confirmed' | 'rejected' | 'pending';
  mask?: boolean;
}

let seq = 0;

/** Inserts review events with distinct frame bytes, labels them and stores masks; returns their ids in order. */
export async function seedEvents(app: App, specs: SeedSpec[]): Promise<string[]> {
  const ids: string[] = [];
  const store = app.ctx.store;
  const now = app.ctx.clock.now();
  for (const s of specs) {
    const id = randomUUID();
    const n = seq++;
    const frameRef = await app.ctx.files.put(Buffer.from(`\xff\xd8\xff frame ${id}`, 'latin1'));
    const mapRef = await app.ctx.files.put(Buffer.from(`map ${id}`));
    await store.events.insertOnce({
      id,
      deviceId: `dev-${s.line}`,
      sequence: n,
      line: s.line,
      camera: s.camera ?? 'cam-1',
      ts: new Date(now.getTime() - 60_000 + n),
      modelVersion: 'm1',
      score: 0.9,
      threshold: 0.5,
      frameRef,
      mapRef,
      frameWidth: 32,
      frameHeight: 24,
      receivedAt: now,
    });
    if (s.label !== 'pending') await store.events.label(id, s.label, 'reviewer', now);
    if (s.mask) {
      const ref = await app.ctx.files.put(Buffer.from(`\x89PNG mask ${id}`, 'latin1'));
      await store.events.saveMask({ eventId: id, ref, width: 32, height: 24, authorId: 'reviewer', createdAt: now });
    }
    ids.push(id);
  }
  return ids;
}

export const many = (n: number, spec: SeedSpec): SeedSpec[] => Array.from({ length: n }, () => ({ ...spec }));

/** Worker-side HTTP calls through inject, with the bearer token. */
export function workerClient(app: App, token = WORKER_TOKEN) {
  const headers = { authorization: `Bearer ${token}` };
  return {
    claim: (workerId: string) =>
      app.inject({ method: 'POST', url: '/api/worker/claim', headers, payload: { workerId } }),
    heartbeat: (id: string, leaseId: string, phase = 'train') =>
      app.inject({
        method: 'POST',
        url: `/api/worker/jobs/${id}/heartbeat`,
        headers,
        payload: { leaseId, progress: { phase, epoch: 1, epochs: 4, loss: 0.5, etaS: 30 } },
      }),
    upload: (id: string, leaseId: string, tar: Buffer) =>
      app.inject({
        method: 'PUT',
        url: `/api/worker/jobs/${id}/package?lease=${leaseId}`,
        headers: { ...headers, 'content-type': 'application/x-tar' },
        payload: tar,
      }),
    complete: (id: string, leaseId: string, packageSha256: string) =>
      app.inject({
        method: 'POST',
        url: `/api/worker/jobs/${id}/complete`,
        headers,
        payload: {
          leaseId,
          packageSha256,
          threshold: 0.42,
          metrics: {
            candidate: { imageAuroc: 0.9, pixelAuroc: 0.8, falseAlarmRate: 0.1, n: 10 },
            parent: { imageAuroc: 0.8, pixelAuroc: 0.7, falseAlarmRate: 0.2, n: 10 },
          },
        },
      }),
    fail: (id: string, leaseId: string) =>
      app.inject({
        method: 'POST',
        url: `/api/worker/jobs/${id}/fail`,
        headers,
        payload: { leaseId, code: 'LW_TRAINER_TEST', message: 'boom' },
      }),
    get: (url: string) => app.inject({ method: 'GET', url, headers }),
  };
}

export function claimOf(res: { statusCode: number; body: string; json(): unknown }): {
  job: { id: string; attempt: number; status: string; targetVersion: string; datasetSnapshotId: string };
  leaseId: string;
  manifestUrl: string;
  parentPackageUrl: string | null;
  packageUrl: string;
} {
  assert.equal(res.statusCode, 200, res.body);
  const c = (res.json() as { claim: unknown }).claim;
  assert.ok(c, 'a job was claimed');
  return c as ReturnType<typeof claimOf>;
}
