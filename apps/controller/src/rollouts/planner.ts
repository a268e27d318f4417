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
import type { ModelVersionRow, Registry } from '../registry/registry.js';
import {
  ACTIVE_STATES,
  type DecisionRow,
  type RolloutBaseline,
  type RolloutRow,
  type RolloutStore,
  type TargetRow,
} from '../store/rollout-store.js';
import type { FleetRow } from '../store/types.js';
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
}

export async function planRollout(deps: PlannerDeps, req: PlanRequest): Promise<Plan> {
  const { model, scope, policy } = await checkCandidate(deps, req);
  const { ids, offline, already, fleet } = await pickDevices(deps.ctx, scope, req.version);
  const plan = planWaves(ids, policy);
  const now = deps.ctx.clock.now();
  const id = `ro-${now.getTime().toString(36)}-${randomBytes(3).toString('hex')}`;
  const baseline = await measureBaseline(deps, ids, policy, now);
  const targets = ids.map((d) => targetRow(id, d, plan.wave.get(d)!, fleet.get(d), now));
  const row: RolloutRow = {
    id,
    version: req.version,
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
    createdBy: req.userId,
    createdAt: now,
    updatedAt: now,
    endedAt: null,
  };
  const sizes = Array.from({ length: plan.waves }, (_, w) => targets.filter((t) => t.wave === w).length);
  const decision = {
    at: now,
    actor: req.userId,
    action: 'created',
    reason:
      `${req.version} on ${scope ?? 'the fleet'}: ${ids.length} device(s) in ${plan.waves} wave(s) [${sizes.join(', ')}], canary first` +
      (offline.length ? `; skipped offline: ${offline.join(', ')}` : '') +
      (already.length ? `; already on ${req.version}: ${already.join(', ')}` : '') +
      `; baseline ${baseline.flagged}/${baseline.frames} flagged frames over ${policy.baselineWindowS} s`,
    details: { policy, baseline, offline, already },
  };
  return { row, targets, decision };
}

/** The candidate exists, is approved (and eligible when the policy requires it), and no active rollout overlaps. */
async function checkCandidate(
  { registry, store }: PlannerDeps,
  req: PlanRequest,
): Promise<{ model: ModelVersionRow; scope: string | null; policy: RolloutPolicy }> {
  const model = await registry.get(req.version);
  if (!model) throw ctrlError('LW_CTRL_NOT_FOUND', `no model version ${req.version}`);
  const scope = req.line === undefined ? model.line : req.line;
  const policy = await effectivePolicy(registry.store, scope, req.overrides);
  if (policy.requireEligible && model.eligible === false)
    throw ctrlError('LW_CTRL_MODEL_INELIGIBLE', model.eligibility);
  if (!model.approvedAt) throw ctrlError('LW_CTRL_ROLLOUT_STATE', `version ${req.version} is not approved`);
  const active = await store.list(1000, ACTIVE_STATES);
  const clash = active.find((a) => a.line === null || scope === null || a.line === scope);
  if (clash)
    throw ctrlError(
      'LW_CTRL_ROLLOUT_ACTIVE',
      `rollout ${clash.id} (${clash.version}) is ${clash.state} on ${clash.line ?? 'the fleet'}`,
    );
  return { model, scope, policy };
}

/** Enabled devices of the scope that are online and not on `version` yet; the others are named in the decision. */
async function pickDevices(ctx: Ctx, scope: string | null, version: string) {
  const devices = (await ctx.store.devices.list(scope === null ? undefined : [scope])).filter((d) => !d.disabledAt);
  const fleet = new Map((await ctx.store.fleet.list()).map((f) => [f.deviceId, f]));
  const offline = devices.filter((d) => !fleet.get(d.id)?.online).map((d) => d.id);
  const already = devices
    .filter((d) => fleet.get(d.id)?.online && fleet.get(d.id)?.modelVersion === version)
    .map((d) => d.id);
  const ids = devices.map((d) => d.id).filter((id) => !offline.includes(id) && !already.includes(id));
  if (ids.length === 0)
    throw ctrlError('LW_CTRL_ROLLOUT_STATE', `no online device on ${scope ?? 'the fleet'} needs ${version}`);
  return { ids, offline, already, fleet };
}

/** The parent's flag rate on the same devices over the baseline window (score aggregates flushed first). */
async function measureBaseline(
  deps: PlannerDeps,
  ids: string[],
  policy: RolloutPolicy,
  now: Date,
): Promise<RolloutBaseline> {
  await deps.flushScores?.();
  const from = new Date(now.getTime() - policy.baselineWindowS * 1000);
  return {
    frames: await deps.store.frames(ids, from, now),
    flagged: await deps.store.flaggedEvents(ids, undefined, from, now),
    from: from.toISOString(),
    to: now.toISOString(),
  };
}

/** A pending target, with the version and health the device had before the update. */
function targetRow(rolloutId: string, deviceId: string, wave: number, f: FleetRow | undefined, now: Date): TargetRow {
  const h = f?.health as HealthMessage | null | undefined;
  return {
    rolloutId,
    deviceId,
    wave,
    state: 'pending',
    fromVersion: f?.modelVersion ?? null,
    issuedAt: null,
    liveAt: null,
    report: null,
    frames: 0,
    baseFps: h ? meanFps(h) : null,
    baseLatencyMs: h ? h.latencyMs.p99 : null,
    rolledBackAt: null,
    updatedAt: now,
  };
}
