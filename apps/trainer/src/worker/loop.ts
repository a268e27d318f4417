/**
 * The worker loop: claim → runJob → next, polling while the queue is empty and backing off while the controller is
 * unreachable. One job at a time (training takes every core). Stopping (`signal`) ends the current job at its next
 * training step without reporting on it: its lease runs out and the controller hands it to another worker.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { codeOf, isTrainerError } from '../errors.js';
import type { Progress } from '../progress.js';
import type { OrtRuntime } from '../train/options.js';
import { runJob, type JobOutcome } from './run-job.js';
import type { WorkerLogger } from './log.js';
import type { WorkerIO } from './types.js';

export interface LoopOptions {
  readonly workDir: string;
  readonly privateKeyPath: string;
  readonly once: boolean;
  readonly pollMs: number;
  /** `--providers/--threads/--device-id` for every job's fine-tune and held-out scoring. */
  readonly runtime?: OrtRuntime;
  readonly signal?: AbortSignal;
  /** Progress per job, given the job's logger (e.g. as log lines carrying its `jobId`), or one for every job. */
  readonly progress?: Progress | ((jobLog: WorkerLogger) => Progress);
  readonly heartbeatMs?: number;
  /** Fewest normal frames a job's threshold may be calibrated on (run-job.ts default). */
  readonly minCalibrationNormals?: number;
  /** Loop lines; each job logs through a child carrying its `jobId`. */
  readonly log: WorkerLogger;
}

export interface LoopSummary {
  readonly outcomes: readonly JobOutcome[];
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Job folders left by a worker that was killed: nobody else uses this work dir, so they are garbage. */
function sweep(workDir: string): void {
  const jobs = join(workDir, 'jobs');
  mkdirSync(jobs, { recursive: true });
  for (const d of readdirSync(jobs)) rmSync(join(jobs, d), { recursive: true, force: true });
}

export async function runWorker(
  io: WorkerIO & { release?(job: { id: string }): void },
  opts: LoopOptions,
): Promise<LoopSummary> {
  sweep(opts.workDir);
  const outcomes: JobOutcome[] = [];
  let backoffMs = opts.pollMs;
  while (!opts.signal?.aborted) {
    let job;
    try {
      job = await io.claim();
      backoffMs = opts.pollMs;
    } catch (e) {
      // A wrong token will not fix itself; an unreachable controller might.
      const status = isTrainerError(e) ? (e.details['status'] as number | undefined) : undefined;
      if (opts.once || status === 401 || status === 403) throw e;
      opts.log.warn(
        { code: codeOf(e) ?? 'error', retryInS: Math.round(backoffMs / 1000) },
        `claim failed: ${(e as Error).message}`,
      );
      await sleep(backoffMs, opts.signal);
      backoffMs = Math.min(backoffMs * 2, 30_000);
      continue;
    }
    if (!job) {
      if (opts.once) break;
      await sleep(opts.pollMs, opts.signal);
      continue;
    }
    const log = opts.log.child({ jobId: job.id });
    log.info(
      { line: job.line, parentVersion: job.parentVersion, targetVersion: job.targetVersion },
      `claimed job (line ${job.line ?? '-'}, parent ${job.parentVersion ?? 'none'} → ${job.targetVersion})`,
    );
    const outcome = await runJob(job, io, {
      workDir: opts.workDir,
      privateKeyPath: opts.privateKeyPath,
      log,
      ...(opts.progress ? { progress: typeof opts.progress === 'function' ? opts.progress(log) : opts.progress } : {}),
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.runtime ? { runtime: opts.runtime } : {}),
      ...(opts.minCalibrationNormals ? { minCalibrationNormals: opts.minCalibrationNormals } : {}),
    });
    if (outcome.status !== 'completed') io.release?.(job);
    outcomes.push(outcome);
    if (opts.once) break;
  }
  return { outcomes };
}
