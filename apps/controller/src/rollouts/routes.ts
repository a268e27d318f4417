/**
 * Rollout HTTP: list and inspect (any signed-in user; QA users see rollouts on their lines and fleet-wide ones),
 * start, pause/resume/abort/rollback and edit the stored policy overrides (admins). The detail view carries the
 * targets and the full decision log, which is what the UI shows.
 */
import type { FastifyRequest } from 'fastify';
import {
  GetRolloutPolicyRoute,
  GetRolloutRoute,
  ListRolloutsRoute,
  PutRolloutPolicyRoute,
  RolloutActionRoute,
  StartRolloutRoute,
  type RolloutBody,
  type RolloutDetailBody,
} from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { TypedApp } from '../http/typed-app.js';
import { canSeeLine, requireAuth } from '../auth/guard.js';
import type { Registry } from '../registry/registry.js';
import type { RolloutRow, RolloutStore } from '../store/rollout-store.js';
import type { RolloutActions } from './commands.js';
import { checkOverrides, effectivePolicy } from './policy.js';
import { qaGateStanding } from './qa-gate.js';

function rolloutView(r: RolloutRow, counts: Record<string, number>): RolloutBody {
  return {
    id: r.id,
    version: r.version,
    parentVersion: r.parentVersion,
    line: r.line,
    state: r.state,
    phase: r.phase,
    wave: r.wave,
    waves: r.waves,
    reason: r.reason,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    endedAt: r.endedAt?.toISOString() ?? null,
    counts,
  };
}

/** Decisions name their author by user id; the UI shows the username (ids of deleted users stay as they are). */
async function usernames(ctx: Ctx, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of new Set(ids)) {
    if (id === 'engine') continue;
    const u = await ctx.store.users.find(id);
    if (u) out.set(id, u.username);
  }
  return out;
}

export async function rolloutDetail(ctx: Ctx, store: RolloutStore, id: string): Promise<RolloutDetailBody> {
  const r = await store.get(id);
  if (!r) throw ctrlError('LW_CTRL_NOT_FOUND', `no rollout ${id}`);
  const [targets, decisions, counts] = await Promise.all([store.targets(id), store.decisions(id), store.counts([id])]);
  const names = await usernames(ctx, [r.createdBy, ...decisions.map((d) => d.actor)]);
  const who = (x: string): string => names.get(x) ?? x;
  const qaGate = await qaGateStanding(store, r, targets);
  return {
    rollout: { ...rolloutView(r, counts.get(id) ?? {}), createdBy: who(r.createdBy) },
    policy: r.policy,
    ...(qaGate && { qaGate }),
    baseline: r.baseline,
    targets: targets.map((t) => ({
      deviceId: t.deviceId,
      wave: t.wave,
      state: t.state,
      fromVersion: t.fromVersion,
      issuedAt: t.issuedAt?.toISOString() ?? null,
      liveAt: t.liveAt?.toISOString() ?? null,
      rolledBackAt: t.rolledBackAt?.toISOString() ?? null,
      frames: t.frames,
      report: t.report,
    })),
    decisions: decisions.map((d) => ({
      id: d.id,
      at: d.at.toISOString(),
      actor: who(d.actor),
      action: d.action,
      reason: d.reason,
      details: d.details,
    })),
  };
}

export function registerRolloutRoutes(
  app: TypedApp,
  ctx: Ctx,
  registry: Registry,
  rollouts: RolloutActions,
  store: RolloutStore,
): void {
  readRoutes(app, ctx, store);
  actionRoutes(app, ctx, store, rollouts);
  policyRoutes(app, ctx, registry);
}

/** Fleet-wide rollouts (line null) are visible to everyone signed in; others only on the user's lines. */
function canSee(req: FastifyRequest, r: RolloutRow): boolean {
  const { user } = requireAuth(req);
  return r.line === null || canSeeLine(user, r.line);
}

function readRoutes(app: TypedApp, ctx: Ctx, store: RolloutStore): void {
  app.route({
    ...ListRolloutsRoute,
    handler: async (req) => {
      const rows = (await store.list(req.query.limit ?? 50)).filter((r) => canSee(req, r));
      const counts = await store.counts(rows.map((r) => r.id));
      return { rollouts: rows.map((r) => rolloutView(r, counts.get(r.id) ?? {})) };
    },
  });
  app.route({
    ...GetRolloutRoute,
    handler: async (req) => {
      const { id } = req.params;
      const r = await store.get(id);
      if (!r || !canSee(req, r)) throw ctrlError('LW_CTRL_NOT_FOUND', `no rollout ${id}`);
      return rolloutDetail(ctx, store, id);
    },
  });
}

/** Served by every replica: the leader's engine applies the action (directly, or handed over: commands.ts). */
function actionRoutes(app: TypedApp, ctx: Ctx, store: RolloutStore, rollouts: RolloutActions): void {
  app.route({
    ...StartRolloutRoute,
    config: { access: 'admin' },
    handler: async (req, reply) => {
      const { user } = requireAuth(req);
      const body = req.body;
      const id = await rollouts.create(body.version, body.line, user.id, body.policy ?? {});
      reply.code(201);
      return rolloutDetail(ctx, store, id);
    },
  });
  app.route({
    ...RolloutActionRoute,
    config: { access: 'admin' },
    handler: async (req) => {
      const { user } = requireAuth(req);
      const { id, action } = req.params;
      await rollouts.act(id, action, user.id, req.body.reason ?? null);
      return rolloutDetail(ctx, store, id);
    },
  });
}

function policyRoutes(app: TypedApp, ctx: Ctx, registry: Registry): void {
  const policyView = async (scope: string) => {
    const overrides = (await registry.store.getPolicy(scope)) ?? {};
    return { scope, overrides, effective: await effectivePolicy(registry.store, scope === '*' ? null : scope) };
  };
  app.route({
    ...GetRolloutPolicyRoute,
    config: { access: 'admin' },
    handler: async (req) => policyView(req.params.scope),
  });
  app.route({
    ...PutRolloutPolicyRoute,
    config: { access: 'admin' },
    handler: async (req) => {
      const { user } = requireAuth(req);
      const { scope } = req.params;
      await registry.store.putPolicy(scope, checkOverrides(req.body), user.id, ctx.clock.now());
      return policyView(scope);
    },
  });
}
