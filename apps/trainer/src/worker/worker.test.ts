/**
 * The worker over HTTP against a fake controller (port 0, protocol schemas checked on every request): a job runs to
 * completion through the real client; a revoked lease stops the work and uploads nothing; a worker process killed
 * mid-job leaves nothing uploaded and its job is re-claimed after the lease and completed by the next worker; a
 * wrong token stops the worker with a coded error; a corrupted download fails the job with a coded reason.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSigningKeys, loadPublicKey, verifyPackage } from '@linewatch/model-package';
import { isTrainerError } from '../errors.js';
import { FakeController, trainParent, writeJobDataset } from '../testing/index.js';
import { workerConfig } from './config.js';
import { createWorkerLogger } from './log.js';
import { ControllerClient } from './controller-client.js';
import { runWorker } from './loop.js';
import type { DatasetOnDisk } from './types.js';

const TOKEN = 'worker-token-for-tests';
let dir = '';
let keys: ReturnType<typeof generateSigningKeys>;
let parentTar: Uint8Array;
let dataset: DatasetOnDisk;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lw-worker-http-'));
  keys = generateSigningKeys(join(dir, 'keys'));
  parentTar = (await trainParent(dir, keys.privateKeyPath)).tar;
  dataset = await writeJobDataset(join(dir, 'snapshot'), { normal: 16, anomalous: 8 }, { normal: 6, anomalous: 6 });
});

after(() => rmSync(dir, { recursive: true, force: true }));

type LogLine = Record<string, unknown> & { level: number; msg: string };
const logLines: LogLine[] = [];
const log = createWorkerLogger('debug', {
  workerId: 'w-test',
  destination: { write: (s: string) => void logLines.push(JSON.parse(s) as LogLine) },
});

async function withFake(leaseMs: number, fn: (f: FakeController) => Promise<void>): Promise<void> {
  const f = await FakeController.start({ token: TOKEN, leaseMs, parentTar, dataset });
  try {
    await fn(f);
    assert.deepEqual(f.violations, [], 'every request matched the protocol schemas');
  } finally {
    await f.close();
  }
}

const client = (f: FakeController, workerId = 'w-test', token = TOKEN): ControllerClient =>
  new ControllerClient({ baseUrl: f.baseUrl, token, workerId });

test(
  'claims over HTTP, heartbeats with progress, uploads a verifying package and completes under the target version',
  { timeout: 120_000 },
  async () => {
    await withFake(10_000, async (f) => {
      const job = f.addJob('job-1');
      const { outcomes } = await runWorker(client(f), {
        minCalibrationNormals: 7,
        workDir: join(dir, 'w1'),
        privateKeyPath: keys.privateKeyPath,
        once: true,
        pollMs: 50,
        heartbeatMs: 50,
        log,
      });
      assert.equal(outcomes.length, 1);
      assert.equal(outcomes[0]!.status, 'completed', JSON.stringify(outcomes[0]));
      assert.equal(job.view.status, 'succeeded');
      assert.equal(job.view.resultVersion, 'line-a-job-1');
      assert.ok(job.uploaded && job.completed);
      const pkg = verifyPackage(job.uploaded, [loadPublicKey(keys.publicKeyPath)]);
      assert.equal(pkg.manifest.threshold.value, job.completed.threshold);
      assert.equal(job.completed.metrics.candidate.n, 12);
      assert.equal(job.completed.metrics.parent?.n, 12);
      assert.ok(job.completed.metrics.candidate.pixelAuroc !== null);
      const phases = [...new Set(job.heartbeats.map((h) => h.phase))];
      assert.deepEqual(phases, ['download', 'features', 'train', 'evaluate', 'package', 'upload']);
      assert.ok(
        job.heartbeats.some((h) => h.phase === 'train' && typeof h.epoch === 'number' && typeof h.loss === 'number'),
      );
      // The upload comes strictly after every download and before complete.
      const order = f.requests.filter((r) => !r.includes('heartbeat'));
      assert.ok(order.indexOf('PUT /api/worker/jobs/job-1/package') > order.findLastIndex((r) => r.startsWith('GET')));
      assert.equal(order.at(-1), 'POST /api/worker/jobs/job-1/complete');
      // --once with an empty queue: no job, exit without waiting.
      const none = await runWorker(client(f), {
        minCalibrationNormals: 7,
        workDir: join(dir, 'w1'),
        privateKeyPath: keys.privateKeyPath,
        once: true,
        pollMs: 50,
        log,
      });
      assert.equal(none.outcomes.length, 0);
    });
  },
);

test(
  'the controller takes the lease back mid-training: the worker stops, uploads nothing, reports nothing',
  { timeout: 120_000 },
  async () => {
    await withFake(10_000, async (f) => {
      const job = f.addJob('job-2');
      f.onHeartbeat = (j, hb) => {
        if (hb.progress.phase === 'train' && j.leaseId !== null && !j.leaseId.startsWith('stolen-')) f.revoke(j);
      };
      const { outcomes } = await runWorker(client(f), {
        minCalibrationNormals: 7,
        workDir: join(dir, 'w2'),
        privateKeyPath: keys.privateKeyPath,
        once: true,
        pollMs: 50,
        heartbeatMs: 30,
        log,
      });
      assert.equal(outcomes[0]!.status, 'lost', JSON.stringify(outcomes[0]));
      assert.equal(job.uploaded, null);
      assert.equal(job.completed, null);
      assert.equal(job.failed, null);
      assert.ok(!f.requests.some((r) => r.startsWith('PUT')), 'no upload attempted');
      assert.ok(!job.heartbeats.some((h) => h.phase === 'evaluate'), 'stopped during training');
      assert.deepEqual(readdirSync(join(dir, 'w2', 'jobs')), []);
    });
  },
);

test(
  'a worker process killed mid-job leaves nothing uploaded; after the lease the job is re-claimed and completed',
  { timeout: 180_000 },
  async () => {
    await withFake(3000, async (f) => {
      const job = f.addJob('job-3');
      const workDir = join(dir, 'w3');
      const main = fileURLToPath(new URL('../main.ts', import.meta.url));
      const child = spawn(
        process.execPath,
        [
          '--conditions=@linewatch/source',
          '--import',
          'tsx',
          main,
          'worker',
          '--controller',
          f.baseUrl,
          '--key',
          keys.privateKeyPath,
          '--work-dir',
          workDir,
          '--once',
          '--id',
          'doomed',
          '--min-calibration-normals',
          '7',
        ],
        {
          env: { ...process.env, LW_WORKER_TOKEN: TOKEN },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        child.on('exit', (code, signal) => resolve(signal ?? code)),
      );
      // Kill -9 as soon as it reports training.
      f.onHeartbeat = (_j, hb) => {
        if (hb.progress.phase === 'train') child.kill('SIGKILL');
      };
      assert.equal(await exited, 'SIGKILL', `worker exited on its own: ${stderr}`);
      // Not a terminal: only JSON lines (no progress bar), the job's with its id.
      const lines = stderr
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as LogLine);
      for (const l of lines) assert.deepEqual([l['service'], l['workerId']], ['worker', 'doomed'], JSON.stringify(l));
      assert.ok(lines.some((l) => l['jobId'] === 'job-3' && /^claimed job/.test(l.msg)));
      assert.ok(
        lines.some((l) => l['jobId'] === 'job-3' && l['phase'] === 'features'),
        `phase starts are logged: ${stderr}`,
      );
      f.onHeartbeat = null;
      assert.equal(job.view.leaseOwner, 'doomed');
      assert.equal(job.uploaded, null, 'nothing uploaded');
      assert.equal(job.completed, null);
      assert.ok(existsSync(join(workDir, 'jobs', 'job-3')), 'the killed worker left its scratch folder');

      // A fresh worker on the same work dir: claims only once the lease has expired, sweeps the leftovers, completes.
      // (--once answers "nothing to do" while the dead worker's lease still runs.)
      let outcomes: Awaited<ReturnType<typeof runWorker>>['outcomes'] = [];
      let emptyClaims = 0;
      const deadline = Date.now() + 30_000;
      while (outcomes.length === 0 && Date.now() < deadline) {
        ({ outcomes } = await runWorker(client(f, 'rescuer'), {
          minCalibrationNormals: 7,
          workDir,
          privateKeyPath: keys.privateKeyPath,
          once: true,
          pollMs: 100,
          heartbeatMs: 300,
          log,
        }));
        if (outcomes.length === 0) {
          emptyClaims++;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.ok(emptyClaims >= 1, "not claimable while the dead worker's lease ran");
      assert.ok(outcomes.length >= 1);
      assert.equal(outcomes[0]!.status, 'completed', JSON.stringify(outcomes[0]));
      assert.equal(job.view.attempt, 2);
      assert.equal(job.view.leaseOwner, 'rescuer');
      assert.ok(job.uploaded);
      verifyPackage(job.uploaded, [loadPublicKey(keys.publicKeyPath)]);
      assert.deepEqual(readdirSync(join(workDir, 'jobs')), []);
    });
  },
);

test('a wrong token stops the worker with a coded error instead of polling forever', { timeout: 30_000 }, async () => {
  await withFake(10_000, async (f) => {
    f.addJob('job-4');
    await assert.rejects(
      runWorker(client(f, 'w', 'wrong'), {
        workDir: join(dir, 'w4'),
        privateKeyPath: keys.privateKeyPath,
        once: false,
        pollMs: 50,
        log,
      }),
      (e: unknown) => isTrainerError(e, 'LW_TRAINER_CONTROLLER') && e.details['status'] === 401,
    );
  });
});

test('a download that does not match its sha256 fails the job with a coded reason', { timeout: 60_000 }, async () => {
  await withFake(10_000, async (f) => {
    const job = f.addJob('job-5');
    f.tamper = true;
    const { outcomes } = await runWorker(client(f), {
      minCalibrationNormals: 7,
      workDir: join(dir, 'w5'),
      privateKeyPath: keys.privateKeyPath,
      once: true,
      pollMs: 50,
      log,
    });
    assert.equal(outcomes[0]!.status, 'failed');
    assert.equal(job.failed?.code, 'LW_TRAINER_CONTROLLER');
    assert.match(job.failed?.message ?? '', /sha256/);
    assert.equal(job.uploaded, null);
    // The job's lines come from its child logger: jobId on each, beside the worker's base fields.
    const lines = logLines.filter((l) => l['jobId'] === 'job-5');
    assert.match(lines[0]?.msg ?? '', /^claimed job/);
    const failed = lines.find((l) => l['outcome'] === 'failed');
    assert.equal(failed?.level, 50);
    assert.equal(failed?.['code'], 'LW_TRAINER_CONTROLLER');
    for (const l of lines) assert.deepEqual([l['service'], l['workerId']], ['worker', 'w-test']);
  });
});

test('config: validated once, token from the environment, key must be Ed25519', () => {
  const cfg = workerConfig({ controller: 'http://127.0.0.1:8080/', key: keys.privateKeyPath }, dir, {
    LW_WORKER_TOKEN: 't',
  });
  assert.equal(cfg.token, 't');
  assert.equal(cfg.controller, 'http://127.0.0.1:8080');
  assert.ok(Object.isFrozen(cfg));
  assert.throws(
    () => workerConfig({ controller: 'ftp://x', key: keys.privateKeyPath, token: 't' }, dir, {}),
    (e: unknown) => isTrainerError(e, 'LW_TRAINER_BAD_VALUE'),
  );
  assert.throws(
    () => workerConfig({ controller: 'http://x', key: keys.privateKeyPath }, dir, {}),
    (e: unknown) => isTrainerError(e, 'LW_TRAINER_MISSING_FLAG'),
  );
  assert.throws(
    () => workerConfig({ controller: 'http://x', key: keys.publicKeyPath, token: 't' }, dir, {}),
    (e: unknown) => isTrainerError(e, 'LW_TRAINER_BAD_VALUE'),
  );
});
