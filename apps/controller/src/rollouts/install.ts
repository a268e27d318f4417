/** Install-side checks of a rollout, without I/O: did a device fail or miss its deadline, and when did it go live. */
import type { StatusMessage } from '@linewatch/protocol';
import type { RolloutRow, TargetRow } from '../store/rollout-store.js';
import type { Fleet } from './evaluate.js';

/** Why the install itself went wrong (a device failed, or is not live in time), or null. */
export function installProblem(r: RolloutRow, targets: readonly TargetRow[], now: Date): string | null {
  const policy = r.policy;
  const failed = targets.find((t) => t.state === 'failed');
  if (failed) {
    const rep = failed.report;
    return `install failed on ${failed.deviceId}: ${rep?.reason?.code ?? 'unknown'} ${rep?.reason?.message ?? ''}`.trim();
  }
  // A shadowing canary legitimately stays un-live for the shadow window on top of the install itself.
  const allowMs = (t: TargetRow): number =>
    (policy.installTimeoutS + (t.wave === 0 && policy.shadow ? policy.shadow.durationS : 0)) * 1000;
  const late = targets.find(
    (t) =>
      t.state === 'sent' && t.issuedAt && now.getTime() - t.issuedAt.getTime() > allowMs(t) && r.state === 'running',
  );
  return late ? `install timeout: ${late.deviceId} not live ${policy.installTimeoutS} s after the command` : null;
}

/**
 * Agent timestamp from which a device adopted without a report (lost) counts frames: the status message that named
 * the candidate dates the swap (agent clock); failing that, now.
 */
export function adoptedSinceTs(fleet: Fleet, deviceId: string, version: string, now: Date): number {
  const status = fleet.get(deviceId)?.status as StatusMessage | null | undefined;
  return status?.modelVersion === version ? status.ts : now.getTime();
}
