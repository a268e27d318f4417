/** Store rows → the HTTP contract's shapes (ISO dates, no internal columns such as leaseId or packageRef). */
import type { DatasetItem, DatasetSnapshotView, JobView } from '@linewatch/protocol/http';
import type { JobRow, SnapshotItemRow, SnapshotRow } from '../store/jobs-store.js';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function jobView(j: JobRow, snapshot?: SnapshotRow | null): JobView {
  return {
    ...(snapshot ? { datasetCounts: snapshot.counts } : {}),
    id: j.id,
    line: j.line,
    status: j.status,
    trigger: j.trigger,
    parentVersion: j.parentVersion,
    targetVersion: j.targetVersion,
    datasetSnapshotId: j.datasetSnapshotId,
    attempt: j.attempt,
    maxAttempts: j.maxAttempts,
    leaseOwner: j.leaseOwner,
    leaseExpiresAt: iso(j.leaseExpiresAt),
    progress: j.progress,
    resultVersion: j.resultVersion,
    metrics: j.metrics,
    threshold: j.threshold,
    errorCode: j.errorCode,
    errorMessage: j.errorMessage,
    createdAt: j.createdAt.toISOString(),
    updatedAt: j.updatedAt.toISOString(),
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
  };
}

export function snapshotView(s: SnapshotRow): DatasetSnapshotView {
  return {
    id: s.id,
    line: s.line,
    createdAt: s.createdAt.toISOString(),
    digest: s.digest,
    counts: s.counts,
    heldOutFraction: s.heldOutFraction,
  };
}

export const datasetFileUrl = (snapshotId: string, eventId: string, file: 'image' | 'mask'): string =>
  `/api/worker/datasets/${encodeURIComponent(snapshotId)}/items/${encodeURIComponent(eventId)}/${file}`;

export function datasetItemView(i: SnapshotItemRow): DatasetItem {
  return {
    id: i.eventId,
    imageUrl: datasetFileUrl(i.snapshotId, i.eventId, 'image'),
    maskUrl: i.maskRef === null ? null : datasetFileUrl(i.snapshotId, i.eventId, 'mask'),
    label: i.label,
    kind: i.kind,
    ...(i.origin ? { origin: i.origin } : {}),
    split: i.split,
    line: i.line,
    camera: i.camera,
    width: i.width,
    height: i.height,
    imageSha256: i.frameRef,
    maskSha256: i.maskRef,
    defectClass: i.defectClass ?? null,
  };
}
