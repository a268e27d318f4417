/**
 * What training jobs need from the model registry (REG's Registry, apps/controller/src/registry): the line's live
 * version (the parent of a fine-tune), a version's package tar (the worker downloads the parent), and registering
 * the worker's candidate. Kept as a narrow interface so jobs can be tested with an in-memory registry and do not
 * depend on how rollouts decide what is live.
 */
import type { JobMetrics } from '@linewatch/protocol/http';

/** REG's contract for a new version (registry.ts `NewModelVersion`). */
export interface CandidateVersion {
  version: string;
  line: string | null;
  parentVersion: string | null;
  jobId: string | null;
  datasetSnapshotId: string | null;
  metrics: JobMetrics | null;
  threshold: number | null;
  packageTar: Buffer;
  createdBy: string;
}

export interface JobModels {
  /** The version the line's devices are meant to run now, or null when the line has no model yet. */
  liveVersion(line: string): Promise<string | null>;
  /** Whether the version is registered (a crashed attempt may have registered the job's version already). */
  hasVersion(version: string): Promise<boolean>;
  /** The stored package tar of a registered version, or null when unknown. */
  packageTar(version: string): Promise<Buffer | null>;
  /**
   * Verifies and registers the candidate (idempotent for the same version + package; a different package under an
   * existing version is a coded conflict). Throws coded errors the worker sees as-is.
   */
  addVersion(v: CandidateVersion): Promise<{ version: string }>;
}
