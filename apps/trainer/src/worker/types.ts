/**
 * What the worker's job pipeline needs from the outside world, as plain interfaces: the HTTP client in
 * `controller-client.ts` implements `JobIO` against the controller's worker API, tests implement it in memory. Keeping
 * the pipeline (`run-job.ts`) free of HTTP lets it be tested without a controller and reused by other transports.
 */
import type { ClassHeldOutMetrics } from './heldout-classes.js';
import type { HeldOutComparison, ThresholdCalibration } from '@linewatch/protocol/http';

/** A claimed fine-tune job, as the worker needs it (the client maps the controller's claim response onto this). */
export interface ClaimedJob {
  readonly id: string;
  readonly line: string | null;
  /** Registry version of the model to fine-tune from (null: the line has none; the job fails). */
  readonly parentVersion: string | null;
  readonly datasetSnapshotId: string;
  /** Registry version the controller assigned to this job's model (derived from the job: re-runs get the same). */
  readonly targetVersion: string;
  /** When the controller created the job (epoch ms): makes the new package's `build` deterministic per job. */
  readonly createdAt: number | null;
  /** How long the claim holds without a heartbeat (ms); heartbeats go out well inside it. */
  readonly leaseMs: number;
}

export const JOB_PHASES = ['download', 'features', 'train', 'evaluate', 'package', 'upload'] as const;
export type JobPhase = (typeof JOB_PHASES)[number];

/** Heartbeat payload: where the job is. `epoch`/`loss` only while training; `etaS` for the current phase. */
export interface JobProgress {
  readonly phase: JobPhase;
  readonly epoch: number | null;
  readonly epochs: number | null;
  readonly loss: number | null;
  readonly etaS: number | null;
}

/** Held-out metrics of one model (REG's HeldOutMetrics): null where the held-out part cannot define the metric. */
export interface HeldOutMetrics {
  readonly imageAuroc: number | null;
  readonly pixelAuroc: number | null;
  /** Share of held-out normal images scoring at or above the parent's threshold. */
  readonly falseAlarmRate: number | null;
  /** Held-out images scored. */
  readonly n: number;
  /** Per defect type of the held-out anomalies (heldout-classes.ts). */
  readonly byClass?: ClassHeldOutMetrics[];
}

/** What `complete` uploads. */
export interface JobResult {
  /** The job's target registry version. */
  readonly version: string;
  readonly packageTar: Uint8Array;
  readonly packageSha256: string;
  readonly metrics: {
    readonly candidate: HeldOutMetrics;
    readonly parent: HeldOutMetrics;
    /** Candidate vs parent with intervals (the controller's eligibility verdict is drawn from them). */
    readonly comparison?: HeldOutComparison;
    /** How the threshold was calibrated: normal frames used and the false-alarm rate's interval. */
    readonly calibration?: ThresholdCalibration;
  };
  readonly threshold: number;
}

/** The dataset snapshot on disk as two JSONL manifests (`@linewatch/datasets` format) in one folder. */
export interface DatasetOnDisk {
  readonly train: string;
  readonly heldOut: string;
}

/** Coded failure reported to the controller. */
export interface JobFailure {
  readonly code: string;
  readonly message: string;
}

export type HeartbeatAnswer = 'ok' | 'lost';

export interface JobIO {
  /** Writes the parent package (tar / tar.gz as the registry stores it) to `dest`. */
  fetchParent(job: ClaimedJob, dest: string): Promise<void>;
  /** Writes the snapshot's manifests and files under `dir` (empty, exists). */
  fetchDataset(job: ClaimedJob, dir: string): Promise<DatasetOnDisk>;
  /** Extends the lease. 'lost' when the controller says another worker holds it or it expired; throws on transport errors. */
  heartbeat(job: ClaimedJob, progress: JobProgress): Promise<HeartbeatAnswer>;
  /** Uploads the signed package + metrics. Throws LW_TRAINER_LEASE_LOST if the controller says the lease is gone. */
  complete(job: ClaimedJob, result: JobResult): Promise<void>;
  fail(job: ClaimedJob, failure: JobFailure): Promise<void>;
}

export interface WorkerIO extends JobIO {
  /** null when no job is waiting. */
  claim(): Promise<ClaimedJob | null>;
}
