/**
 * Registry rows → HTTP bodies (dates as ISO strings; the manifest and signature stay server-side; the approver by id
 * and, where the caller looked it up, by name).
 */
import type { ModelVersionBody } from '@linewatch/protocol/http';
import type { ModelVersionRow } from '../store/registry-store.js';
import type { DeviceCounts } from './installed.js';

/** Usernames by user id, to show who approved a version by name (the row keeps the id). */
export type UserNames = ReadonlyMap<string, string>;

export const modelView = (m: ModelVersionRow, devices?: DeviceCounts, names?: UserNames): ModelVersionBody => ({
  version: m.version,
  line: m.line,
  parentVersion: m.parentVersion,
  jobId: m.jobId,
  datasetSnapshotId: m.datasetSnapshotId,
  sha256: m.sha256,
  bytes: m.bytes,
  build: m.build,
  keyId: m.keyId,
  metrics: m.metrics,
  threshold: m.threshold,
  eligible: m.eligible,
  eligibility: m.eligibility,
  status: m.status,
  createdBy: m.createdBy,
  createdAt: m.createdAt.toISOString(),
  approvedBy: m.approvedBy,
  approvedByName: m.approvedBy === null ? null : (names?.get(m.approvedBy) ?? null),
  approvedAt: m.approvedAt?.toISOString() ?? null,
  ...(devices && { devices }),
});
