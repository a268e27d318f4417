/**
 * Rollout policy: documented defaults (README "Rollouts") ← stored fleet overrides ('*') ← stored line overrides
 * ← per-rollout overrides given at approval. The merged policy is validated against the protocol schema and
 * frozen into the rollout row, so a later policy edit never changes a rollout already under way.
 */
import { Value } from '@sinclair/typebox/value';
import { RolloutPolicyBody } from '@linewatch/protocol/http';
import { ctrlError } from '../errors.js';
import type { RegistryStore } from '../store/registry-store.js';

export type RolloutPolicy = RolloutPolicyBody;

export const DEFAULT_POLICY: Readonly<RolloutPolicy> = Object.freeze({
  requireEligible: true,
  shadow: null,
  canaryDevices: 1,
  canaryPercent: 5,
  waveDevices: null,
  wavePercent: 25,
  minWaveIntervalS: 60,
  observeS: 300,
  minFrames: 500,
  installTimeoutS: 900,
  urlRefreshS: 600,
  flagBandRel: 0.5,
  flagBandAbs: 0.01,
  flagZ: 3,
  flagNoBaselineMax: 0.1,
  baselineWindowS: 3600,
  minBaselineFrames: 500,
  minFpsRatio: 0.8,
  maxLatencyRatio: 1.5,
  latencySlackMs: 20,
  requireHealth: true,
  healthGraceS: 25,
  healthSustainS: 30,
  minReviews: 20,
  maxRejectRateIncrease: 0.1,
  flagDropMax: 0.8,
  holdUntilMinReviews: false,
});

/** Checks a partial override: known keys only, each value valid on its own (merged over the defaults). */
export function checkOverrides(o: Record<string, unknown>): Record<string, unknown> {
  const unknown = Object.keys(o).filter((k) => !Object.hasOwn(DEFAULT_POLICY, k));
  if (unknown.length) throw ctrlError('LW_CTRL_ROLLOUT_POLICY_INVALID', `unknown policy keys: ${unknown.join(', ')}`);
  validate({ ...DEFAULT_POLICY, ...o });
  return o;
}

function validate(p: unknown): RolloutPolicy {
  if (!Value.Check(RolloutPolicyBody, p)) {
    const problems = [...Value.Errors(RolloutPolicyBody, p)].slice(0, 5).map((e) => `${e.path}: ${e.message}`);
    throw ctrlError('LW_CTRL_ROLLOUT_POLICY_INVALID', `invalid rollout policy: ${problems.join('; ')}`, {
      details: problems,
    });
  }
  return p;
}

export async function effectivePolicy(
  store: RegistryStore,
  line: string | null,
  overrides: Record<string, unknown> = {},
): Promise<RolloutPolicy> {
  const fleet = (await store.getPolicy('*')) ?? {};
  const perLine = line === null ? {} : ((await store.getPolicy(line)) ?? {});
  checkOverrides(overrides);
  return validate({ ...DEFAULT_POLICY, ...fleet, ...perLine, ...overrides });
}

/** Canary first, then waves: returns the wave index of each device (in the given order). */
export function planWaves(deviceIds: string[], p: RolloutPolicy): { wave: Map<string, number>; waves: number } {
  const n = deviceIds.length;
  const wave = new Map<string, number>();
  if (n === 0) return { wave, waves: 0 };
  const canary = Math.min(n, Math.max(1, p.canaryDevices ?? Math.ceil((p.canaryPercent / 100) * n)));
  const size = Math.max(1, p.waveDevices ?? Math.ceil((p.wavePercent / 100) * n));
  let w = 0;
  deviceIds.forEach((d, i) => {
    if (i < canary) wave.set(d, 0);
    else {
      w = 1 + Math.floor((i - canary) / size);
      wave.set(d, w);
    }
  });
  return { wave, waves: w + 1 };
}
