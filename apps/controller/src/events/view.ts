/** Store rows → HTTP views, and the opaque keyset cursor of the review queue. */
import type { EventView } from '@linewatch/protocol/http';
import { ctrlError } from '../errors.js';
import type { EventRow } from '../store/types.js';

export function eventView(e: EventRow, hasMask: boolean): EventView {
  return {
    id: e.id,
    deviceId: e.deviceId,
    sequence: e.sequence,
    line: e.line,
    camera: e.camera,
    ts: e.ts.toISOString(),
    receivedAt: e.receivedAt.toISOString(),
    modelVersion: e.modelVersion,
    score: e.score,
    threshold: e.threshold,
    normalizedScore: normalizedScore(e.score, e.threshold),
    frameWidth: e.frameWidth,
    frameHeight: e.frameHeight,
    labelStatus: e.labelStatus,
    reviewerId: e.reviewerId,
    reviewedAt: e.reviewedAt ? e.reviewedAt.toISOString() : null,
    hasMask,
    defectClassId: e.defectClassId,
  };
}

/** score ÷ threshold, so 1.0 is the threshold whatever the model's units; null without a positive threshold. */
export function normalizedScore(score: number, threshold: number): number | null {
  return threshold > 0 && Number.isFinite(threshold) ? score / threshold : null;
}

/** `<ts ms>.<id>` in base64url: opaque to clients, so the pagination scheme can change without breaking them. */
export function encodeCursor(e: Pick<EventRow, 'ts' | 'id'>): string {
  return Buffer.from(`${e.ts.getTime()}.${e.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { ts: Date; id: string } {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d{1,16})\.(.{1,128})$/.exec(raw);
  if (!m) throw ctrlError('LW_CTRL_VALIDATION', 'invalid cursor');
  return { ts: new Date(Number(m[1])), id: m[2] as string };
}
