/** Registry rows → HTTP bodies (dates as ISO strings; the manifest and signature stay server-side). */
import type { ModelVersionBody } from '@linewatch/protocol/http';
import type { ModelVersionRow } from '../store/registry-store.js';
import type { DeviceCounts } from './installed.js';

export const modelView = (m: ModelVersionRow, devices?: DeviceCounts): ModelVersionBody => ({
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
  approvedAt: m.approvedAt?.toISOString() ?? null,
  ...(devices && { devices }),
});
