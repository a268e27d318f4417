/**
 * One fine-tune job from claim to completion, against injected I/O (`JobIO`):
 *
 *   download parent + dataset snapshot → fine-tune from the parent (runFinetune, loss auto: L_px where masks exist,
 *   L_img otherwise) → score candidate AND parent on the held-out part → calibrate the threshold on the candidate's
 *   held-out normal scores → re-version + sign + pack → verify the tarball → complete (one upload).
 *
 * Everything lives in `<workDir>/jobs/<jobId>/`, removed at the end whatever happened, and the package is uploaded
 * in the single `complete` call only after it verified, so a crash at any point leaves nothing half-uploaded: the
 * controller holds either the whole signed package or nothing, and re-queues the job when the lease runs out.
 * A lost lease stops the work at the next training step and reports nothing (the job belongs to someone else now);
 * any other error is reported with `fail` and its code.
 */
import { createPublicKey } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadPrivateKey } from '@linewatch/model-package';
import { calibrateThreshold } from '@linewatch/metrics';
import { codeOf, isTrainerError } from '../errors.js';
import { loadPackage } from '../package-io.js';
import { silentProgress, type Progress } from '../progress.js';
import { runFinetune } from '../train/pipeline.js';
import { checkTrainPart, loadHeldOut, scoreHeldOut } from './heldout.js';
import { LeaseKeeper, leaseProgress } from './lease.js';
import { finalizePackage } from './repackage.js';
import type { ClaimedJob, JobIO } from './types.js';

export interface RunJobOptions {
  readonly workDir: string;
  /** Ed25519 private key (PEM) that signs the package; its public half must be trusted by the controller. */
  readonly privateKeyPath: string;
  /** Terminal progress (the lease gets the same events). */
  readonly progress?: Progress;
  readonly heartbeatMs?: number;
  readonly log?: (line: string) => void;
  /** Worker shutting down: stop at the next step, report nothing (the lease expires and the job is re-claimed). */
  readonly signal?: AbortSignal;
}

export type JobOutcome =
  | { readonly status: 'completed'; readonly version: string; readonly sha256: string; readonly seconds: number }
  | { readonly status: 'failed'; readonly code: string; readonly message: string }
  | { readonly status: 'lost'; readonly message: string }
  | { readonly status: 'stopped' };

const SAFE_DIR = /[^A-Za-z0-9._-]+/g;

export async function runJob(job: ClaimedJob, io: JobIO, opts: RunJobOptions): Promise<JobOutcome> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const dir = join(opts.workDir, 'jobs', job.id.replace(SAFE_DIR, '_'));
  const lease = new LeaseKeeper(job, io, {
    ...(opts.heartbeatMs ? { intervalMs: opts.heartbeatMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onError: (e) => log(`heartbeat failed: ${String(e)}`),
  });
  const progress = leaseProgress(lease, opts.progress ?? silentProgress);
  rmSync(dir, { recursive: true, force: true }); // leftovers of a crashed run of the same job
  mkdirSync(join(dir, 'data'), { recursive: true });
  lease.start();
  try {
    // 1. Inputs. The parent is verified with the worker's own public key: the controller trusts exactly that key.
    progress.setPhase('download');
    const publicKey = createPublicKey(loadPrivateKey(opts.privateKeyPath));
    const parentPath = join(dir, 'parent.tar');
    await io.fetchParent(job, parentPath);
    const parent = loadPackage(parentPath, [publicKey]);
    lease.check();
    const data = await io.fetchDataset(job, join(dir, 'data'));
    await checkTrainPart(data.train);
    const heldOut = await loadHeldOut(data.heldOut);
    lease.check();
    log(`job ${job.id}: parent ${job.parentVersion}, snapshot ${job.datasetSnapshotId}, ${heldOut.length} held-out images`);

    // 2. Fine-tune (features + fit report progress through the lease; a lost lease throws out of the training loop).
    const candidateDir = join(dir, 'candidate');
    // No confetti: a job learns from what QA labelled, and a snapshot without anomalies is a data error the
    // controller has to hear about, not a reason to train on synthetic ones.
    await runFinetune(
      { from: parentPath, data: data.train, dataKind: 'manifest', loss: 'auto', confetti: 0, out: candidateDir, resume: false, privateKeyPath: opts.privateKeyPath },
      progress,
    );
    lease.check();

    // 3. Candidate and parent on the same held-out images, false alarms at the parent's threshold.
    progress.setPhase('evaluate');
    const candidate = loadPackage(candidateDir, [publicKey]);
    const parentThreshold = parent.manifest.threshold.value;
    const cand = await scoreHeldOut(candidate, heldOut, parentThreshold, progress);
    const par = await scoreHeldOut(parent, heldOut, parentThreshold, progress);
    const threshold = calibrateThreshold(cand.normalScores);
    log(
      `job ${job.id}: held-out candidate image AUROC ${fmt(cand.metrics.imageAuroc)} pixel AUROC ${fmt(cand.metrics.pixelAuroc)} FAR ${fmt(cand.metrics.falseAlarmRate)}; ` +
        `parent ${fmt(par.metrics.imageAuroc)} / ${fmt(par.metrics.pixelAuroc)} / ${fmt(par.metrics.falseAlarmRate)}; threshold ${threshold.toPrecision(4)}`,
    );

    // 4. Version from the job, threshold, metrics; signed, packed, verified.
    progress.setPhase('package');
    // Reported before the (synchronous) signing and packing, else a fast job could go from evaluate to upload
    // without the controller ever seeing this phase.
    await lease.beat();
    lease.check();
    const metrics = { candidate: cand.metrics, parent: par.metrics };
    const final = finalizePackage({ candidateDir, job, parent: parent.manifest, threshold, metrics, privateKeyPath: opts.privateKeyPath });
    lease.check();

    // 5. One upload: the controller stores all of it or nothing.
    progress.setPhase('upload');
    await lease.beat();
    lease.check();
    await io.complete(job, { version: final.registryVersion, packageTar: final.tar, packageSha256: final.sha256, metrics, threshold });
    log(`job ${job.id}: completed as ${final.registryVersion} (${final.tar.length} bytes)`);
    return { status: 'completed', version: final.registryVersion, sha256: final.sha256, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    if (opts.signal?.aborted) {
      log(`job ${job.id}: stopped (worker shutting down); the controller re-queues it when the lease expires`);
      return { status: 'stopped' };
    }
    if (lease.lost || isTrainerError(e, 'LW_TRAINER_LEASE_LOST')) {
      const message = e instanceof Error ? e.message : String(e);
      log(`job ${job.id}: lease lost, work stopped: ${message}`);
      return { status: 'lost', message };
    }
    const code = codeOf(e) ?? 'LW_TRAINER_UNEXPECTED';
    const message = (e instanceof Error ? e.message : String(e)).slice(0, 2000);
    log(`job ${job.id}: failed ${code}: ${message}`);
    await io.fail(job, { code, message }).catch((err: unknown) => log(`job ${job.id}: reporting the failure failed too: ${String(err)}`));
    return { status: 'failed', code, message };
  } finally {
    lease.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
