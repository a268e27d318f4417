/**
 * One controller dataset item → one line of the job's JSONL manifest. The manifest is what the fine-tune reads, and
 * its `defectType` carries two things: for an anomaly, the group the held-out eval breaks down by (the item's defect
 * class, else its loss kind); for a normal, whether it is a rejected false alarm (REJECTED_DEFECT_TYPE), so the
 * package manifest counts `labelsRejected` apart from `labelsNormals` — a sampled normal frame is not a rejected
 * false alarm, and an item from a controller that does not send `origin` counts as a plain normal.
 */
import type { ManifestEntry } from '@linewatch/datasets';
import type { DatasetItem } from '@linewatch/protocol/http';
import { REJECTED_DEFECT_TYPE } from '../train/finetune-plan.js';

export function manifestEntry(item: DatasetItem, image: string, mask: string | undefined): ManifestEntry {
  const defectType =
    item.label === 1 ? (item.defectClass ?? item.kind) : item.origin === 'rejected' ? REJECTED_DEFECT_TYPE : undefined;
  return {
    image,
    ...(mask ? { mask } : {}),
    label: item.label,
    ...(defectType !== undefined ? { defectType } : {}),
    ...(item.line ? { lineId: item.line } : {}),
    ...(item.camera ? { cameraId: item.camera.slice(0, 128) } : {}),
  };
}
