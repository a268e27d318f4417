/** A stored threshold revision as the API shows it (author by name, dates as ISO strings). */
import type { ThresholdRevisionView } from '@linewatch/protocol/http';
import type { ThresholdRevisionRow } from '../store/calibration-store.js';

export function revisionView(r: ThresholdRevisionRow): ThresholdRevisionView {
  return {
    revision: r.revision,
    threshold: r.threshold,
    modelVersion: r.modelVersion,
    targetFar: r.targetFar,
    expectedFlagRate: r.expectedFlagRate,
    currentFlagRate: r.currentFlagRate,
    basisFrames: r.basisFrames,
    reason: r.reason,
    author: r.authorName,
    restoredFrom: r.restoredFrom,
    createdAt: r.createdAt.toISOString(),
  };
}
