/**
 * A device joining a line converges to the line's live model. Rollouts move the devices that exist when they run; a
 * device provisioned or enrolled later (or one that comes back after a rollout it missed, or with a model copied by
 * hand) would otherwise stay on whatever it started with. On every birth whose model differs from the line's live one
 * (enrollment/live-model.ts), and while no rollout is moving that line, the device gets a desiredModel for the live
 * version, with rolloutId `converge-<line>` (so the agent treats a redelivery as one command). A version the device
 * is ahead of is sent as a rollback (agents refuse a plain update to a build not above the live one).
 */
import { fromPublication, kindFilter } from '@linewatch/protocol';
import type { Bus } from '../broker/bus.js';
import type { Ctx } from '../context.js';
import { lineLiveModel } from '../enrollment/live-model.js';
import type { DownloadTokens } from '../registry/download-token.js';
import type { Registry } from '../registry/registry.js';
import { DesiredPublisher } from '../rollouts/publisher.js';
import { ACTIVE_STATES } from '../store/rollout-store.js';

/** A command sent for (device, version) is not repeated for this long (the agent may still be downloading). */
const RESEND_AFTER_MS = 10 * 60_000;

export class LineConvergence {
  private readonly pub: DesiredPublisher;
  private readonly sent = new Map<string, { version: string; at: number }>();
  private chain: Promise<unknown> = Promise.resolve();
  /** Runs on the leader replica only (cluster/): stopped until start(), and again after stop(). */
  private stopped = true;
  private subscribed = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly bus: Bus,
    private readonly registry: Registry,
    tokens: DownloadTokens,
    baseUrl: () => string,
    fence?: () => Promise<void>,
  ) {
    this.pub = new DesiredPublisher(ctx, bus, registry, tokens, baseUrl, fence);
  }

  async start(): Promise<void> {
    // The bus cannot unsubscribe: subscribe once; while stopped, births are ignored.
    if (!this.subscribed)
      await this.bus.subscribe(kindFilter('birth'), (topic, payload) => this.onBirth(topic, payload), 1);
    this.subscribed = true;
    this.stopped = false;
  }

  /** Waits for the check in progress; later births are ignored. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain;
  }

  private onBirth(topic: string, payload: Buffer): void {
    if (this.stopped) return;
    let birth;
    try {
      const m = fromPublication(topic, payload);
      if (m.kind !== 'birth') return;
      birth = m.message;
    } catch {
      return; // ingest logs and counts invalid messages
    }
    const { device, modelVersion } = birth;
    // One at a time: births come in bursts when a line powers up, and each check reads the registry and rollouts.
    this.chain = this.chain
      .then(() => (this.stopped ? undefined : this.check(device, modelVersion)))
      .catch((err: unknown) => this.ctx.log.warn({ err, deviceId: device }, 'line convergence check failed'));
  }

  /** Publishes the line's live model to `deviceId` when it runs another one; returns the version sent, if any. */
  async check(deviceId: string, running: string | null): Promise<string | null> {
    const device = await this.ctx.store.devices.find(deviceId);
    if (!device || device.disabledAt !== null) return null;
    const live = await lineLiveModel(this.ctx, this.registry, device.line, device.id);
    if (!live || live.version === running) return null;
    const active = await this.ctx.store.rollouts.list(100, ACTIVE_STATES);
    if (active.some((r) => r.line === null || r.line === device.line)) return null;
    const now = this.ctx.clock.now().getTime();
    const last = this.sent.get(device.id);
    if (last && last.version === live.version && now - last.at < RESEND_AFTER_MS) return null;
    const current = running === null ? null : await this.registry.get(running);
    await this.pub.publish({
      rolloutId: `converge-${device.line}`,
      deviceId: device.id,
      version: live.version,
      rollback: current !== null && current.build >= live.build,
      shadow: null,
    });
    this.sent.set(device.id, { version: live.version, at: now });
    this.ctx.log.info(
      { deviceId: device.id, line: device.line, from: running, to: live.version },
      "device converging to the line's live model",
    );
    return live.version;
  }
}
