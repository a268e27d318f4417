/**
 * Agents' messages as the rollout engine reads them. What one model report does to its rollout target is decided
 * here without I/O, so the engine only applies it.
 * A report counts only for the version the target is waiting on: the candidate while sent/live, the version it
 * rolls back to while rolling back (the candidate's SUPERSEDED report that follows a rollback is ignored).
 */
import { fromPublication, type ModelReportMessage } from '@linewatch/protocol';
import type { RolloutRow, TargetPatch, TargetRow } from '../store/rollout-store.js';

export interface ReportEffect {
  /** Written to the target (state changes, timestamps, the report itself). */
  readonly patch: TargetPatch;
  /** A decision row for the rollout's history, when the report is news an operator must see. */
  readonly decision?: { readonly action: string; readonly reason: string };
  /** The device runs the candidate from this agent timestamp on: frames count from here. */
  readonly liveSinceTs?: number;
  /** The rollout should be stepped soon (a target changed state). */
  readonly kick: boolean;
}

/** The version a target returns to on rollback: what it ran before, else the rollout's parent. */
export function rollbackVersion(r: RolloutRow, t: TargetRow): string | null {
  return t.fromVersion ?? r.parentVersion;
}

export function reportEffect(r: RolloutRow, t: TargetRow, m: ModelReportMessage, now: Date): ReportEffect | null {
  const report = m;
  if (t.state === 'rolling-back') {
    if (m.version !== rollbackVersion(r, t)) return null;
    if (m.state === 'live')
      return { patch: { state: 'rolled-back', rolledBackAt: now, report, updatedAt: now }, kick: true };
    if (m.state === 'failed') {
      const why = `${m.reason?.code ?? '?'} ${m.reason?.message ?? ''}`;
      return {
        patch: { state: 'failed', report, updatedAt: now },
        decision: { action: 'rollback-failed', reason: `${t.deviceId} could not roll back to ${m.version}: ${why}` },
        kick: true,
      };
    }
    return { patch: { report, updatedAt: now }, kick: false };
  }
  if (m.version !== r.version || (t.state !== 'sent' && t.state !== 'live')) return null;
  if (m.state === 'live' && t.state === 'sent')
    return { patch: { state: 'live', liveAt: now, report, updatedAt: now }, liveSinceTs: m.ts, kick: true };
  if (m.state === 'failed' && t.state === 'sent')
    return { patch: { state: 'failed', report, updatedAt: now }, kick: true };
  return { patch: { report, updatedAt: now }, kick: false };
}

/** A model report from the bus, or null for anything else (ingest logs and counts invalid messages). */
export function decodeReport(topic: string, payload: Buffer): ModelReportMessage | null {
  try {
    const r = fromPublication(topic, payload);
    return r.kind === 'modelReport' ? r.message : null;
  } catch {
    return null;
  }
}

/**
 * A watched device's score timestamp, or null. Hot path (every frame): the device is the 5th topic segment (the ACL
 * vouches for it), and only watched devices' scores are decoded.
 */
export function watchedScore(
  topic: string,
  payload: Buffer,
  watching: (device: string) => boolean,
): { device: string; ts: number } | null {
  const device = topic.split('/', 5)[4];
  if (device === undefined || !watching(device)) return null;
  try {
    const r = fromPublication(topic, payload);
    return r.kind === 'score' ? { device, ts: r.message.ts } : null;
  } catch {
    return null; // ingest logs and counts invalid messages
  }
}
