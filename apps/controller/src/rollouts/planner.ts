/**
 * Plans a new rollout: checks the candidate (registered, approved, eligible when the policy requires it) and that
 * no other rollout is active on an overlapping scope; picks the online devices that do not run it yet (offline
 * ones are skipped and named in the decision); assigns canary and waves; records each device's version and health
 * before the update; and measures the parent's flag rate on the same devices over the baseline window.
 */
import { randomBytes } from 'node:crypto';
import type { HealthMessage } from '@linewatch/protocol';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import { ACTIVE_STATES, type DecisionRow, type RolloutRow, type RolloutStore, type TargetRow } from '../store/rollout-store.js';
import { meanFps } from './gates.js';
import { effectivePolicy, planWaves, type RolloutPolicy } from './policy.js';

export interface PlannerDeps {
  ctx: Ctx;
  registry: Registry;
  store: RolloutStore;
  flushScores?: (() => Promise<void>) | undefined;
}

export interface PlanRequest {
  version: string;
  /** undefined: the model's own line; null: the whole fleet. */
  line: string | null | undefined;
  userId: string;
  overrides: Record<string, unknown>;
}

export interface Plan {
  row: RolloutRow;
  targets: TargetRow[];
  decision: Omit<DecisionRow, 'id' | 'rolloutId'>;
  policy: RolloutPolicy;
}

export async function planRollout(deps: PlannerDeps, req: PlanRequest): Promise<Plan> {
  const { ctx, registry, store } = deps;
  const { version, userId } = req;
  const model = await registry.get(version);
  if (!model) throw ctrlError('LW_CTRL_NOT_FOUND', `no model version ${version}`);
  const scope = req.line === undefined ? model.line : req.line;
  const policy = await effectivePolicy(registry.store, scope, req.overrides);
  if (policy.requireEligible && model.eligible === false) throw ctrlError('LW_CTRL_MODEL_INELIGIBLE', model.eligibility);
  if (!model.approvedAt) throw ctrlError('LW_CTRL_ROLLOUT_STATE', `version ${version} is not approved`);
  const active = await store.list(1000, ACTIVE_STATES);
  const clash = active.find((a) => a.line === null || scope === null || a.line === scope);
  if (clash) throw ctrlError('LW_CTRL_ROLLOUT_ACTIVE', `rollout ${clash.id} (${clash.version}) is ${clash.state} on ${clash.line ?? 'the fleet'}`);

  const devices = (await ctx.store.devices.list(scope === null ? undefined : [scope])).filter((d) => !d.disabledAt);
  const fleet = new Map((await ctx.store.fleet.list()).map((f) => [f.deviceId, f]));
  const offline = devices.filter((d) => !fleet.get(d.id)?.online).map((d) => d.id);
  const already = devices.filter((d) => fleet.get(d.id)?.online && fleet.get(d.id)?.modelVersion === version).map((d) => d.id);
  const ids = devices.map((d) => d.id).filter((id) => !offline.includes(id) && !already.includes(id));
  if (ids.length === 0) throw ctrlError('LW_CTRL_ROLLOUT_STATE', `no online device on ${scope ?? 'the fleet'} needs ${version}`);
  const plan = planWaves(ids, policy);
  const now = ctx.clock.now();
  const id = `ro-${now.getTime().toString(36)}-${randomBytes(3).toString('hex')}`;

  await deps.flushScores?.();
  const from = new Date(now.getTime() - policy.baselineWindowS * 1000);
  const baseline = {
    frames: await store.frames(ids, from, now),
    flagged: await store.flaggedEvents(ids, undefined, from, now),
    from: from.toISOString(),
    to: now.toISOString(),
  };
  const targets: TargetRow[] = ids.map((d) => {
    const h = fleet.get(d)?.health as HealthMessage | null | undefined;
    return {
      rolloutId: id,
      deviceId: d,
      wave: plan.wave.get(d)!,
      state: 'pending',
      fromVersion: fleet.get(d)?.modelVersion ?? null,
      issuedAt: null,
      liveAt: null,
      report: null,
      frames: 0,
      baseFps: h ? meanFps(h) : null,
      baseLatencyMs: h ? h.latencyMs.p99 : null,
      rolledBackAt: null,
      updatedAt: now,
    };
  });
  const row: RolloutRow = {
    id,
    version,
    parentVersion: model.parentVersion,
    line: scope,
    policy,
    state: 'running',
    phase: policy.shadow ? 'shadow' : 'canary',
    wave: 0,
    waves: plan.waves,
    waveStartedAt: null,
    waveLiveAt: null,
    baseline,
    reason: null,
    createdBy: userId,
    createdAt: now,
    updatedAt: now,
    endedAt: null,
  };
  const sizes = Array.from({ length: plan.waves }, (_, w) => targets.filter((t) => t.wave === w).length);
  const decision = {
    at: now,
    actor: userId,
    action: 'created',
    reason:
      `${version} on ${scope ?? 'the fleet'}: ${ids.length} device(s) in ${plan.waves} wave(s) [${sizes.join(', ')}], canary first` +
      (offline.length ? `; skipped offline: ${offline.join(', ')}` : '') +
      (already.length ? `; already on ${version}: ${already.join(', ')}` : '') +
      `; baseline ${baseline.flagged}/${baseline.frames} flagged frames over ${policy.baselineWindowS} s`,
    details: { policy, baseline, offline, already },
  };
  return { row, targets, decision, policy };
}
