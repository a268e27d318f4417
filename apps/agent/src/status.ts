/**
 * What the retained `status` says and when it is published. `StatusRegistry` holds the active problems (what makes
 * the status `degraded`) and tells its subscriber whenever something the status shows changed; it has no
 * dependencies, so every part of the agent can report to it while being built. `StatusPublisher`, built last, reads
 * the link, outbox, pipeline and updater to compose the message and publishes it (debounced).
 */
import { toPublication } from '@linewatch/protocol';
import type { DeviceAddress, ModelUpdateState, StatusMessage } from '@linewatch/protocol';
import type { AgentErrorCode } from './errors.js';
import { reasonOf } from './errors.js';
import type { Logger } from './log.js';
import type { MqttLink } from './mqtt/link.js';
import type { Outbox } from './outbox.js';
import type { Pipeline, ShadowStats } from './pipeline.js';

export interface Problem {
  readonly code: AgentErrorCode;
  readonly message: string;
}

/** `updating`: an update entered a running state (published at once); `changed`: anything else (debounced). */
export type StatusChange = 'changed' | 'updating';

/** Status changes within this window are published once. */
const DEBOUNCE_MS = 100;
/** The protocol's limit on `note`. */
const MAX_NOTE = 512;

export class StatusRegistry {
  private readonly active = new Map<string, Problem>();
  private readonly listeners: ((change: StatusChange) => void)[] = [];

  constructor(private readonly log: Logger) {}

  /** Active problems by key (camera id, 'outbox', 'inference') with their code. */
  get problems(): ReadonlyMap<string, Problem> {
    return this.active;
  }

  subscribe(listener: (change: StatusChange) => void): void {
    this.listeners.push(listener);
  }

  /** Records (or replaces) the problem under `key` and logs it with its code. */
  raise(key: string, code: AgentErrorCode, message: string, details?: Record<string, unknown>): void {
    this.active.set(key, { code, message });
    this.log('warn', `${code}: ${message}`, { code, ...details });
    this.notify('changed');
  }

  /** Clears the problem under `key`; logs `recovered` (if given) only when there was one. */
  resolve(key: string, recovered?: string): boolean {
    if (!this.active.delete(key)) return false;
    if (recovered !== undefined) this.log('info', recovered);
    this.notify('changed');
    return true;
  }

  /** A model-update report: any state but `live`/`failed` means an update is running. */
  updateReported(state: ModelUpdateState): void {
    this.notify(state !== 'live' && state !== 'failed' ? 'updating' : 'changed');
  }

  /** Something else the status shows changed (e.g. the updater went idle). */
  changed(): void {
    this.notify('changed');
  }

  private notify(change: StatusChange): void {
    for (const l of this.listeners) l(change);
  }
}

/** Shadow statistics ride on the status note while the window runs (the protocol has no dedicated field). */
function shadowNote(sh: ShadowStats): string {
  return `shadow: ${sh.frames} frames, agreement ${(sh.agree / sh.frames).toFixed(3)}, flag rate live ${(sh.liveFlags / sh.frames).toFixed(3)} / candidate ${(sh.shadowFlags / sh.frames).toFixed(3)}, mean |Δscore| ${sh.meanAbsDiff.toPrecision(3)}`;
}

export interface StatusPublisherDeps {
  readonly registry: StatusRegistry;
  readonly address: DeviceAddress;
  readonly cameras: readonly string[];
  readonly outboxPolicy: string;
  readonly link: MqttLink;
  readonly outbox: Outbox;
  readonly pipeline: Pipeline;
  readonly updater: { readonly busy: boolean };
  readonly now: () => number;
  readonly log: Logger;
}

export class StatusPublisher {
  private timer: NodeJS.Timeout | undefined;
  /** The state last published (entering `updating` is published at once, not debounced). */
  private lastState: StatusMessage['state'] | undefined;

  constructor(private readonly deps: StatusPublisherDeps) {
    deps.registry.subscribe((change) => {
      // An update can finish within the debounce, so the controller would never see `updating`.
      if (change === 'updating' && this.lastState !== 'updating' && deps.link.connected) this.publish();
      else this.schedule();
    });
  }

  message(state?: StatusMessage['state']): StatusMessage {
    const { registry, outbox, pipeline, address } = this.deps;
    const notes = [...registry.problems.entries()].map(([k, v]) => `${k}: ${v.code} ${v.message}`);
    if (outbox.stats.dropped > 0)
      notes.unshift(`outbox dropped ${outbox.stats.dropped} events (policy ${this.deps.outboxPolicy})`);
    const degraded = notes.length > 0;
    const sh = pipeline.shadowStats;
    if (sh && sh.frames > 0) notes.unshift(shadowNote(sh));
    const note = notes.join('; ').slice(0, MAX_NOTE);
    return {
      device: address.device,
      bdSeq: this.deps.link.currentBdSeq,
      ts: this.deps.now(),
      state: state ?? (this.deps.updater.busy ? 'updating' : degraded ? 'degraded' : 'running'),
      modelVersion: pipeline.model.version,
      cameras: [...this.deps.cameras],
      ...(note ? { note } : {}),
    };
  }

  /** Publishes now (logged, never thrown, if it cannot be). */
  publish(state?: StatusMessage['state']): void {
    try {
      const m = this.message(state);
      this.lastState = m.state;
      void this.deps.link.publish(toPublication('status', this.deps.address, m));
    } catch (e) {
      this.deps.log('warn', `status not published: ${reasonOf(e)}`);
    }
  }

  /** Publishes once after the debounce, if connected then. */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.deps.link.connected) this.publish();
    }, DEBOUNCE_MS);
  }

  /** Drops a pending debounced publish (at the start of a clean stop). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The clean-stop status, awaited, while still connected. */
  async stopping(): Promise<void> {
    if (this.deps.link.connected)
      await this.deps.link.publish(toPublication('status', this.deps.address, this.message('stopping')));
    this.lastState = 'stopping';
  }
}
