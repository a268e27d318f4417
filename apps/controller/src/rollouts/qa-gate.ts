/**
 * Where a rollout's QA reject-rate gate stands, for the detail view: reviews so far on the candidate (on the devices
 * running it) and on the parent, how many are still missing before the gate can judge, and whether the policy holds
 * the next wave until then (`holdUntilMinReviews`) or lets it pass without them.
 */
import type { QaGateBody } from '@linewatch/protocol/http';
import type { RolloutRow, RolloutStore, TargetRow } from '../store/rollout-store.js';

export async function qaGateStanding(
  store: RolloutStore,
  r: RolloutRow,
  targets: TargetRow[],
): Promise<QaGateBody | undefined> {
  if (!r.parentVersion) return undefined; // nothing to compare with: no QA gate
  const ids = targets.filter((t) => t.state === 'live').map((t) => t.deviceId);
  const need = r.policy.minReviews;
  const cand = ids.length ? await store.verdicts(r.version, ids) : { confirmed: 0, rejected: 0 };
  const parent = await store.verdicts(r.parentVersion);
  const nc = cand.confirmed + cand.rejected;
  const np = parent.confirmed + parent.rejected;
  return {
    minReviews: need,
    candidateReviews: nc,
    parentReviews: np,
    missing: Math.max(0, need - nc) + Math.max(0, need - np),
    holds: r.policy.holdUntilMinReviews === true,
  };
}
