/**
 * The rollout engine: a state machine over the rollout rows, driven by ticks (gates, timeouts, wave progression)
 * and by what agents send (model reports; per-frame scores counted for the flag-rate gate). Every transition is
 * written to the database with a decision row before anything is published, so a restarted controller resumes
 * from the recorded state (re-issuing download links for devices that had not converged). All work runs on one
 * serial queue: ticks, reports and admin actions never interleave.
 *
 * Only the leader replica's engine runs (cluster/; started on election, stopped when the lease is lost); a stopped
 * one drops messages and refuses admin actions (LW_CTRL_NOT_LEADER) — other replicas hand them to the leader
 * through the database (commands.ts). Device commands are fenced: a target's state moves by a conditional update,
 * and the publisher checks the lease before each desiredModel.
 */
import { kindFilter, type ModelReportMessage } from '@linewatch/protocol';
import type { Bus } from '../broker/bus.js';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { DownloadTokens } from '../registry/download-token.js';
import type { Registry } from '../registry/registry.js';
import { ACTIVE_STATES, type RolloutRow, type RolloutStore, type TargetRow } from '../store/rollout-store.js';
import { NOT_APPLIED } from './commands.js';
import { evaluateGates, type Fleet, type GateResult } from './evaluate.js';
import { FrameCounter } from './frame-counter.js';
import { adoptedSinceTs, installProblem } from './install.js';
import { planRollout } from './planner.js';
import { DesiredPublisher } from './publisher.js';
import { decodeReport, reportEffect, rollbackVersion, watchedScore } from './report.js';

export interface EngineOptions {
  tickMs: number;
  /** Base URL agents download packages from (resolved lazily: the HTTP port may be chosen at listen time). */
  baseUrl: () => string;
  /** Flushes ingest's in-memory score aggregates before a baseline is read. */
  flushScores?: () => Promise<void>;
  /** Throws unless this replica still leads (checked before every desiredModel publication). */
  fence?: () => Promise<void>;
  /** After a takeover, when the previous engine stopped counting frames (its leader's last renewal). */
  uncountedSince?: () => Date | null;
}

const ENGINE = 'engine';

/** Admin actions run on the leader's serial queue only; other replicas hand them over (commands.ts). */
function assertLeading(stopped: boolean): void {
  if (stopped) throw ctrlError('LW_CTRL_NOT_LEADER', 'this replica does not lead', { details: NOT_APPLIED });
}

export class RolloutEngine {
  readonly store: RolloutStore;
  private readonly pub: DesiredPublisher;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private kicked = false;
  /** Until start(), and after stop(): this replica does not lead. */
  private stopped = true;
  private subscribed = false;
  /** Frames on the candidate per device (see frame-counter.ts), persisted into the targets on each tick. */
  private frames = new FrameCounter();
  private readonly healthViolations = new Map<string, number>();

  constructor(
    private readonly ctx: Ctx,
    private readonly bus: Bus,
    private readonly registry: Registry,
    tokens: DownloadTokens,
    private readonly opts: EngineOptions,
  ) {
    this.store = ctx.store.rollouts;
    this.pub = new DesiredPublisher(ctx, bus, registry, tokens, opts.baseUrl, opts.fence);
  }

  /** Also after a stop(): resumes from the database. The bus cannot unsubscribe: subscribe once, drop while stopped. */
  async start(): Promise<void> {
    if (!this.subscribed) {
      await this.bus.subscribe(kindFilter('modelReport'), (t, p) => this.onReport(t, p), 1);
      await this.bus.subscribe(kindFilter('score'), (t, p) => this.onScore(t, p), 0);
      this.subscribed = true;
    }
    this.frames = new FrameCounter();
    this.healthViolations.clear();
    this.stopped = false;
    await this.serial(() => this.resume());
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.chain.catch(() => undefined);
  }

  /** Runs fn after everything queued before it; errors reach the caller, not the queue. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.serial(async () => {
      if (this.stopped) return; // queued before a stop(): a deposed leader's engine does no more steps
      try {
        await this.frames.persist(this.store);
        for (const r of await this.store.list(1000, ACTIVE_STATES)) await this.step(r);
      } catch (err) {
        this.ctx.log.error({ err, code: 'LW_CTRL_INTERNAL' }, 'rollout tick failed; retrying next tick');
      }
    });
  }

  /** Soon, not now: reports arrive in bursts and one step handles them all. */
  private kick(): void {
    if (this.kicked || this.stopped) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      void this.tick();
    });
  }

  private onScore(topic: string, payload: Buffer): void {
    if (this.stopped) return;
    const seen = watchedScore(topic, payload, (d) => this.frames.watching(d));
    if (seen) this.frames.score(seen.device, seen.ts);
  }

  private onReport(topic: string, payload: Buffer): void {
    if (this.stopped) return;
    const m = decodeReport(topic, payload);
    if (!m) return;
    void this.serial(() => this.applyReport(m)).catch((err: unknown) =>
      this.ctx.log.error({ err, code: 'LW_CTRL_INTERNAL' }, 'model report not applied'),
    );
  }

  private async applyReport(m: ModelReportMessage): Promise<void> {
    const r = await this.store.get(m.rolloutId);
    if (!r || !ACTIVE_STATES.includes(r.state)) return;
    const t = (await this.store.targets(r.id)).find((x) => x.deviceId === m.device);
    if (!t) return;
    const effect = reportEffect(r, t, m, this.ctx.clock.now());
    if (!effect) return;
    await this.store.updateTarget(r.id, t.deviceId, effect.patch);
    if (effect.decision) await this.decide(r.id, ENGINE, effect.decision.action, effect.decision.reason);
    if (effect.liveSinceTs !== undefined) this.frames.live(t.deviceId, r.id, effect.liveSinceTs);
    if (effect.kick) this.kick();
  }

  private decide(rolloutId: string, actor: string, action: string, reason: string, details?: unknown): Promise<void> {
    this.ctx.log.info({ rolloutId, actor, action, reason }, 'rollout decision');
    return this.store.decide({ rolloutId, at: this.ctx.clock.now(), actor, action, reason, details: details ?? null });
  }

  /** After a restart or takeover: re-watch live devices, re-issue links to devices sent a command (new secret). */
  private async resume(): Promise<void> {
    const now = this.ctx.clock.now();
    // Frames scored while no engine ran are not known: counting restarts now, and the flag-rate gate leaves out the
    // flags of that window (from the previous leader's last renewal; evaluate.ts). Events keep counting.
    const since = this.opts.uncountedSince?.() ?? null;
    const gap = since && since < now ? { uncounted: { from: since.toISOString(), to: now.toISOString() } } : null;
    for (const r of await this.store.list(1000, ACTIVE_STATES)) {
      const targets = await this.store.targets(r.id);
      for (const t of targets) if (t.state === 'live') this.frames.live(t.deviceId, r.id, now.getTime());
      for (const t of targets) if (t.state === 'sent') this.frames.watch(t.deviceId, r.id);
      const resend = targets.filter((t) => t.state === 'sent' || t.state === 'rolling-back');
      for (const t of resend) await this.send(r, t, t.state === 'rolling-back');
      await this.decide(
        r.id,
        ENGINE,
        'resumed',
        `controller (re)started: resuming ${r.state} rollout at wave ${r.wave}; re-issued ${resend.length} command(s)`,
        gap,
      );
    }
  }

  private async send(r: RolloutRow, t: TargetRow, rollback: boolean): Promise<void> {
    const version = rollback ? rollbackVersion(r, t) : r.version;
    if (version === null) return;
    const now = this.ctx.clock.now();
    const state = rollback ? 'rolling-back' : t.state === 'pending' ? 'sent' : t.state;
    // Conditional on the state read: of two engines issuing one wave command (a deposed leader's), one sends nothing.
    if (!(await this.store.transitionTarget(r.id, t.deviceId, t.state, { state, issuedAt: now, updatedAt: now })))
      return;
    if (rollback) this.frames.forgetDevice(t.deviceId);
    else this.frames.watch(t.deviceId, r.id);
    await this.pub.publish({
      rolloutId: r.id,
      deviceId: t.deviceId,
      version,
      rollback,
      shadow: t.wave === 0 ? r.policy.shadow : null,
    });
  }

  // --- creation and admin actions ------------------------------------------------------------------------------

  create(
    version: string,
    line: string | null | undefined,
    userId: string,
    overrides: Record<string, unknown> = {},
  ): Promise<RolloutRow> {
    return this.serial(async () => {
      assertLeading(this.stopped);
      const plan = await planRollout(
        { ctx: this.ctx, registry: this.registry, store: this.store, flushScores: this.opts.flushScores },
        { version, line, userId, overrides },
      );
      await this.store.create(plan.row, plan.targets, plan.decision);
      await this.startWave(plan.row, 0, 'canary');
      return (await this.store.get(plan.row.id))!;
    });
  }

  action(
    id: string,
    action: 'pause' | 'resume' | 'abort' | 'rollback',
    userId: string,
    reason?: string,
  ): Promise<RolloutRow> {
    return this.serial(async () => {
      assertLeading(this.stopped);
      const r = await this.store.get(id);
      if (!r) throw ctrlError('LW_CTRL_NOT_FOUND', `no rollout ${id}`);
      const why = reason?.trim() || `by ${userId}`;
      const now = this.ctx.clock.now();
      const bad = (): never => {
        throw ctrlError('LW_CTRL_ROLLOUT_STATE', `cannot ${action} a ${r.state} rollout`);
      };
      if (action === 'pause') {
        if (r.state !== 'running') bad();
        await this.store.update(id, { state: 'paused', updatedAt: now });
        await this.decide(id, userId, 'paused', why);
      } else if (action === 'resume') {
        if (r.state !== 'paused') bad();
        await this.store.update(id, { state: 'running', updatedAt: now });
        await this.decide(id, userId, 'resumed', why);
      } else if (action === 'abort') {
        if (r.state !== 'running' && r.state !== 'paused') bad();
        await this.finish(
          r,
          'aborted',
          `aborted by ${userId}: ${why}; updated devices stay on ${r.version}, no further waves`,
          userId,
        );
      } else {
        if (r.state === 'rolling-back' || r.state === 'rolled-back') bad();
        await this.rollback(r, `rolled back by ${userId}: ${why}`, userId, 'manual-rollback');
      }
      return (await this.store.get(id))!;
    });
  }

  // --- the state machine ------------------------------------------------------------------------------------------

  private async startWave(r: RolloutRow, wave: number, why: string): Promise<void> {
    const now = this.ctx.clock.now();
    const targets = (await this.store.targets(r.id)).filter((t) => t.wave === wave && t.state === 'pending');
    const phase = wave === 0 ? (r.policy.shadow ? 'shadow' : 'canary') : 'waves';
    await this.store.update(r.id, { wave, phase, waveStartedAt: now, waveLiveAt: null, updatedAt: now });
    await this.decide(
      r.id,
      ENGINE,
      wave === 0 ? 'canary-started' : 'wave-started',
      `${wave === 0 ? 'canary' : `wave ${wave}/${r.waves - 1}`}: ${targets.map((t) => t.deviceId).join(', ')} (${why})`,
    );
    for (const t of targets) await this.send({ ...r, wave }, t, false);
  }

  private async finish(r: RolloutRow, state: 'completed' | 'aborted', reason: string, actor: string): Promise<void> {
    const now = this.ctx.clock.now();
    await this.store.update(r.id, { state, phase: 'done', reason, endedAt: now, updatedAt: now });
    await this.decide(r.id, actor, state, reason);
    if (state === 'completed') await this.registry.setStatus(r.version, 'deployed');
    this.forget(r.id);
  }

  /** Stops counting frames and drops health memory for a rollout that no longer runs forward. */
  private forget(rolloutId: string): void {
    this.frames.forget(rolloutId);
    for (const k of this.healthViolations.keys()) if (k.startsWith(`${rolloutId}/`)) this.healthViolations.delete(k);
  }

  /** Every device that was sent the candidate goes back to what it ran before; pending ones were never touched. */
  private async rollback(r: RolloutRow, reason: string, actor: string, action: string): Promise<void> {
    const now = this.ctx.clock.now();
    const touched = (await this.store.targets(r.id)).filter(
      (t) => t.state === 'sent' || t.state === 'live' || t.state === 'failed',
    );
    this.forget(r.id);
    const stuck = touched.filter((t) => rollbackVersion(r, t) === null).map((t) => t.deviceId);
    await this.store.update(r.id, { state: 'rolling-back', reason, updatedAt: now });
    await this.decide(
      r.id,
      actor,
      action,
      `${reason} → rolling back ${touched.length - stuck.length} device(s)` +
        (stuck.length ? `; no previous version to return to on ${stuck.join(', ')}` : ''),
    );
    await this.registry.setStatus(r.version, 'rolled-back');
    for (const t of touched) if (!stuck.includes(t.deviceId)) await this.send(r, t, true);
    await this.step((await this.store.get(r.id))!);
  }

  /** One evaluation of a rollout: converge a rollback, or adopt, check installs and gates, then advance. */
  private async step(r: RolloutRow): Promise<void> {
    const now = this.ctx.clock.now();
    const fleet: Fleet = new Map((await this.ctx.store.fleet.list()).map((f) => [f.deviceId, f]));
    if (r.state === 'rolling-back') return this.convergeRollback(r, fleet, now);
    if (r.state !== 'running' && r.state !== 'paused') return;
    await this.adoptLive(r, fleet, now);
    const targets = await this.store.targets(r.id);
    const broken = installProblem(r, targets, now);
    if (broken) return this.rollback(r, broken, ENGINE, 'gate-failed');
    const verdict = await evaluateGates({
      store: this.store,
      rollout: r,
      targets,
      fleet,
      pendingFrames: (d) => this.frames.pending(d),
      now,
      violations: this.healthViolations,
    });
    if (verdict.fail) return this.rollback(r, `gate failed: ${verdict.fail}`, ENGINE, 'gate-failed');
    if (r.state === 'paused') return;
    await this.refreshLinks(r, targets, now);
    await this.advance(r, targets, verdict, now);
  }

  /** Marks devices back on their previous version; the rollout is rolled back when none is still rolling back. */
  private async convergeRollback(r: RolloutRow, fleet: Fleet, now: Date): Promise<void> {
    for (const t of (await this.store.targets(r.id)).filter((x) => x.state === 'rolling-back')) {
      const f = fleet.get(t.deviceId);
      // The device's own status/health says it runs the old version again, after the rollback was issued.
      if (f && f.modelVersion === rollbackVersion(r, t) && t.issuedAt && f.updatedAt >= t.issuedAt) {
        await this.store.updateTarget(r.id, t.deviceId, { state: 'rolled-back', rolledBackAt: now, updatedAt: now });
      }
    }
    const targets = await this.store.targets(r.id);
    if (targets.some((t) => t.state === 'rolling-back')) return;
    const back = targets.filter((t) => t.state === 'rolled-back').length;
    await this.store.update(r.id, { state: 'rolled-back', phase: 'done', endedAt: now, updatedAt: now });
    await this.decide(r.id, ENGINE, 'rolled-back', `${back} device(s) back on their previous version`);
  }

  /** Fallback for a lost report: the device's status/health already says it runs the candidate. */
  private async adoptLive(r: RolloutRow, fleet: Fleet, now: Date): Promise<void> {
    for (const t of (await this.store.targets(r.id)).filter((x) => x.state === 'sent')) {
      const f = fleet.get(t.deviceId);
      if (f && f.modelVersion === r.version && t.issuedAt && f.updatedAt >= t.issuedAt) {
        await this.store.updateTarget(r.id, t.deviceId, { state: 'live', liveAt: now, updatedAt: now });
        this.frames.live(t.deviceId, r.id, adoptedSinceTs(fleet, t.deviceId, r.version, now));
      }
    }
  }

  /** Links expire: re-issue for devices still converging (same rollout+version: an agent mid-download ignores it). */
  private async refreshLinks(r: RolloutRow, targets: TargetRow[], now: Date): Promise<void> {
    for (const t of targets.filter(
      (x) => x.state === 'sent' && x.issuedAt && now.getTime() - x.issuedAt.getTime() > r.policy.urlRefreshS * 1000,
    )) {
      await this.send(r, t, false);
    }
  }

  /** Once the wave is all live: start observing; after the observation window and passed gates, next wave or done. */
  private async advance(r: RolloutRow, targets: TargetRow[], verdict: GateResult, now: Date): Promise<void> {
    const policy = r.policy;
    const wave = targets.filter((t) => t.wave === r.wave);
    if (!wave.every((t) => t.state === 'live')) return;
    if (!r.waveLiveAt) {
      await this.store.update(r.id, {
        waveLiveAt: now,
        updatedAt: now,
        ...(r.phase === 'shadow' && { phase: 'canary' }),
      });
      await this.decide(
        r.id,
        ENGINE,
        'wave-live',
        `${r.wave === 0 ? 'canary' : `wave ${r.wave}`}: all ${wave.length} device(s) live on ${r.version}; observing ${policy.observeS} s`,
      );
      return;
    }
    if (now.getTime() - r.waveLiveAt.getTime() < policy.observeS * 1000 || !verdict.ready) return;
    if (r.wave + 1 < r.waves) {
      if (r.waveStartedAt && now.getTime() - r.waveStartedAt.getTime() < policy.minWaveIntervalS * 1000) return;
      await this.decide(r.id, ENGINE, 'gates-passed', verdict.summary);
      await this.startWave(r, r.wave + 1, 'gates passed');
    } else {
      await this.decide(r.id, ENGINE, 'gates-passed', verdict.summary);
      await this.finish(r, 'completed', `all ${targets.length} device(s) live on ${r.version}`, ENGINE);
    }
  }
}
