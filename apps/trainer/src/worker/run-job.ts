/**
 * One fine-tune job from claim to completion, against injected I/O (`JobIO`):
 *
 *   download parent + dataset snapshot → fine-tune from the parent (runFinetune, loss auto: every label in one run,
 *   L_px for masked confirmations, L_img for image-only ones, normals as negatives of both; the manifest counts
 *   them) → score candidate AND parent on the held-out part → calibrate the threshold on the candidate's
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
import { compareHeldOut } from '@linewatch/metrics';
import { codeOf, isTrainerError, withoutCodePrefix } from '../errors.js';
import { loadPackage, type LoadedPackage } from '../package-io.js';
import { silentProgress, type Progress } from '../progress.js';
import type { OrtRuntime } from '../train/options.js';
import { runFinetune } from '../train/pipeline.js';
import {
  MIN_CALIBRATION_NORMALS,
  calibrateJobThreshold,
  checkCalibrationNormals,
  checkTrainPart,
  loadHeldOut,
  scoreHeldOut,
  validationNormals,
} from './heldout.js';
import { LeaseKeeper, leaseProgress } from './lease.js';
import { comparePixels } from './pixel-comparison.js';
import { silentLogger, type WorkerLogger } from './log.js';
import { finalizePackage, type FinalPackage } from './repackage.js';
import type { ClaimedJob, JobIO } from './types.js';

export interface RunJobOptions {
  readonly workDir: string;
  /** Ed25519 private key (PEM) that signs the package; its public half must be trusted by the controller. */
  readonly privateKeyPath: string;
  /** Terminal progress (the lease gets the same events). */
  readonly progress?: Progress;
  readonly heartbeatMs?: number;
  /** The job's logger (the loop passes a child carrying `jobId`); default silent. */
  readonly log?: WorkerLogger;
  /** Worker shutting down: stop at the next step, report nothing (the lease expires and the job is re-claimed). */
  readonly signal?: AbortSignal;
  /** onnxruntime knobs for the fine-tune and the held-out scoring (the worker's `--providers/--threads/--device-id`). */
  readonly runtime?: OrtRuntime;
  /** Fewest normal frames the threshold may be calibrated on (default MIN_CALIBRATION_NORMALS); fewer fail the job. */
  readonly minCalibrationNormals?: number;
}

export type JobOutcome =
  | { readonly status: 'completed'; readonly version: string; readonly sha256: string; readonly seconds: number }
  | { readonly status: 'failed'; readonly code: string; readonly message: string }
  | { readonly status: 'lost'; readonly message: string }
  | { readonly status: 'stopped' };

const SAFE_DIR = /[^A-Za-z0-9._-]+/g;

/** What one job's phases share. */
interface JobContext {
  readonly job: ClaimedJob;
  readonly io: JobIO;
  readonly opts: RunJobOptions;
  readonly dir: string;
  readonly lease: LeaseKeeper;
  readonly progress: ReturnType<typeof leaseProgress>;
  readonly log: WorkerLogger;
}

/** 1. Inputs. The parent is verified with the worker's own public key: the controller trusts exactly that key. */
async function fetchInputs(c: JobContext) {
  c.progress.setPhase('download');
  const publicKey = createPublicKey(loadPrivateKey(c.opts.privateKeyPath));
  const parentPath = join(c.dir, 'parent.tar');
  await c.io.fetchParent(c.job, parentPath);
  const parent = loadPackage(parentPath, [publicKey]);
  c.lease.check();
  const data = await c.io.fetchDataset(c.job, join(c.dir, 'data'));
  await checkTrainPart(data.train);
  const heldOut = await loadHeldOut(data.heldOut);
  // A threshold from two frames is noise: refuse before training, not after (checked again on the scores).
  checkCalibrationNormals(
    heldOut.filter((s) => s.label === 0).length,
    (await validationNormals(data.train)).length,
    c.opts.minCalibrationNormals ?? MIN_CALIBRATION_NORMALS,
  );
  c.lease.check();
  c.log.info(
    { parentVersion: c.job.parentVersion, snapshotId: c.job.datasetSnapshotId, heldOut: heldOut.length },
    `inputs: parent ${c.job.parentVersion}, snapshot ${c.job.datasetSnapshotId}, ${heldOut.length} held-out images`,
  );
  return { publicKey, parentPath, parent, trainManifest: data.train, heldOut };
}

/** 3. Candidate and parent on the same held-out images, false alarms at the parent's threshold. */
async function evaluate(c: JobContext, candidateDir: string, inputs: Awaited<ReturnType<typeof fetchInputs>>) {
  const { parent, heldOut } = inputs;
  c.progress.setPhase('evaluate');
  const candidate = loadPackage(candidateDir, [inputs.publicKey]);
  const parentThreshold = parent.manifest.threshold.value;
  const validation = await candidateValidation(c, inputs.trainManifest, candidate.manifest.metrics['validationImages']);
  const cand = await scoreHeldOut(candidate, heldOut, parentThreshold, c.progress, c.opts.runtime, validation);
  const par = await scoreHeldOut(parent, heldOut, parentThreshold, c.progress, c.opts.runtime);
  const calibration = calibrateJobThreshold(
    cand.normalScores,
    cand.extraScores,
    c.opts.minCalibrationNormals ?? MIN_CALIBRATION_NORMALS,
  );
  const threshold = calibration.threshold;
  // Paired, with intervals: the controller judges eligibility from these, not from the point differences.
  const comparison = compareHeldOut({
    labels: cand.labels,
    candidate: cand.scores,
    parent: par.scores,
    threshold: parentThreshold,
  });
  // Pixel AUROC gets its interval too (image-level bootstrap over the images with pixel truth).
  const pixelAuroc = comparePixels(cand.pixels, par.pixels, comparison.confidence);
  c.log.info(
    { candidate: cand.metrics, parent: par.metrics, threshold, calibration, comparison, pixelAuroc },
    `held-out candidate image AUROC ${fmt(cand.metrics.imageAuroc)} pixel AUROC ${fmt(cand.metrics.pixelAuroc)} FAR ${fmt(cand.metrics.falseAlarmRate)}; ` +
      `parent ${fmt(par.metrics.imageAuroc)} / ${fmt(par.metrics.pixelAuroc)} / ${fmt(par.metrics.falseAlarmRate)}; ` +
      `threshold ${threshold.toPrecision(4)} from ${calibration.normals} normal frames (false alarms ≤ ${(calibration.hi * 100).toFixed(1)} % at ${calibration.confidence * 100} %)`,
  );
  return {
    metrics: { candidate: cand.metrics, parent: par.metrics, comparison: { ...comparison, pixelAuroc }, calibration },
    threshold,
  };
}

/**
 * The fine-tune's validation normals (not trained on), re-derived with the same split; checked against the count the
 * candidate's manifest reports, so a changed split cannot silently calibrate on frames the model trained on.
 */
async function candidateValidation(c: JobContext, trainManifest: string, reported: number | undefined) {
  const validation = await validationNormals(trainManifest);
  if (reported !== undefined && reported !== validation.length) {
    c.log.warn(
      { reported, derived: validation.length },
      'the fine-tune kept a different validation share than expected: calibrating on held-out normals only',
    );
    return [];
  }
  return validation;
}

/** 4–5. Version from the job, threshold, metrics; signed, packed, verified; then one upload (all of it or nothing). */
async function packageAndUpload(
  c: JobContext,
  candidateDir: string,
  parent: LoadedPackage,
  scored: Awaited<ReturnType<typeof evaluate>>,
): Promise<FinalPackage> {
  const { metrics, threshold } = scored;
  c.progress.setPhase('package');
  // Reported before the (synchronous) signing and packing, else a fast job could go from evaluate to upload
  // without the controller ever seeing this phase.
  await c.lease.beat();
  c.lease.check();
  const final = finalizePackage({
    candidateDir,
    job: c.job,
    parent: parent.manifest,
    threshold,
    metrics,
    privateKeyPath: c.opts.privateKeyPath,
  });
  c.lease.check();
  c.progress.setPhase('upload');
  await c.lease.beat();
  c.lease.check();
  await c.io.complete(c.job, {
    version: final.registryVersion,
    packageTar: final.tar,
    packageSha256: final.sha256,
    metrics,
    threshold,
  });
  c.log.info(
    { version: final.registryVersion, bytes: final.tar.length },
    `completed as ${final.registryVersion} (${final.tar.length} bytes)`,
  );
  return final;
}

async function runPhases(c: JobContext): Promise<FinalPackage> {
  const inputs = await fetchInputs(c);
  // 2. Fine-tune (features + fit report progress through the lease; a lost lease throws out of the training loop).
  const candidateDir = join(c.dir, 'candidate');
  // No confetti: a job learns from what QA labelled, and a snapshot without anomalies is a data error the
  // controller has to hear about, not a reason to train on synthetic ones.
  await runFinetune(
    {
      from: inputs.parentPath,
      data: inputs.trainManifest,
      dataKind: 'manifest',
      loss: 'auto',
      confetti: 0,
      out: candidateDir,
      resume: false,
      privateKeyPath: c.opts.privateKeyPath,
      ...(c.opts.runtime ? { runtime: c.opts.runtime } : {}),
    },
    c.progress,
  );
  c.lease.check();
  const scored = await evaluate(c, candidateDir, inputs);
  return packageAndUpload(c, candidateDir, inputs.parent, scored);
}

/** A shutdown stops quietly, a lost lease reports nothing (the job is someone else's now), anything else is `fail`ed. */
async function outcomeOf(c: JobContext, e: unknown): Promise<JobOutcome> {
  const { job, log } = c;
  if (c.opts.signal?.aborted) {
    log.info(
      { outcome: 'stopped' },
      'stopped (worker shutting down); the controller re-queues it when the lease expires',
    );
    return { status: 'stopped' };
  }
  if (c.lease.lost || isTrainerError(e, 'LW_TRAINER_LEASE_LOST')) {
    const message = e instanceof Error ? e.message : String(e);
    log.warn({ outcome: 'lost', code: 'LW_TRAINER_LEASE_LOST' }, `lease lost, work stopped: ${message}`);
    return { status: 'lost', message };
  }
  const code = codeOf(e) ?? 'LW_TRAINER_UNEXPECTED';
  const message = withoutCodePrefix(e instanceof Error ? e.message : String(e), code).slice(0, 2000);
  log.error({ outcome: 'failed', code }, `failed: ${message}`);
  await c.io
    .fail(job, { code, message })
    .catch((err: unknown) =>
      log.error({ code: codeOf(err) ?? 'error' }, `reporting the failure failed too: ${String(err)}`),
    );
  return { status: 'failed', code, message };
}

export async function runJob(job: ClaimedJob, io: JobIO, opts: RunJobOptions): Promise<JobOutcome> {
  const t0 = performance.now();
  const log = opts.log ?? silentLogger;
  const dir = join(opts.workDir, 'jobs', job.id.replace(SAFE_DIR, '_'));
  const lease = new LeaseKeeper(job, io, {
    ...(opts.heartbeatMs ? { intervalMs: opts.heartbeatMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onError: (e) => log.warn({ code: codeOf(e) ?? 'error' }, `heartbeat failed: ${String(e)}`),
  });
  const c: JobContext = {
    job,
    io,
    opts,
    dir,
    lease,
    progress: leaseProgress(lease, opts.progress ?? silentProgress),
    log,
  };
  rmSync(dir, { recursive: true, force: true }); // leftovers of a crashed run of the same job
  mkdirSync(join(dir, 'data'), { recursive: true });
  lease.start();
  try {
    const final = await runPhases(c);
    return {
      status: 'completed',
      version: final.registryVersion,
      sha256: final.sha256,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    return await outcomeOf(c, e);
  } finally {
    lease.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
