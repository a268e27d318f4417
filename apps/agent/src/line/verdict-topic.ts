/**
 * The MQTT verdict topic (…/{device}/verdict/{camera}, QoS 1): one publication per verdict the throttle admits, at
 * most once per frame — never queued while offline and never re-sent (a verdict is about a part that has moved on;
 * line software that must not miss one uses a trigger camera and the capture's answer, or OPC UA).
 */
import { toPublication } from '@linewatch/protocol';
import type { DeviceAddress, Publication, VerdictMessage } from '@linewatch/protocol';
import { reasonOf } from '../errors.js';
import type { LinePort } from './port.js';
import { VerdictThrottle } from './verdict.js';

export interface VerdictTopicOptions {
  readonly address: DeviceAddress;
  readonly port: LinePort;
  /** Resolves false when not connected (QoS 1 is acknowledged by the broker otherwise). */
  readonly publish: (p: Publication) => Promise<boolean>;
  /** Per camera; 0 for trigger cameras (every part gets its verdict). */
  readonly minIntervalMs: (camera: string) => number;
  readonly now?: () => number;
  readonly warn: (message: string) => void;
}

export class VerdictTopic {
  /** Verdicts handed to the broker / skipped by the throttle / not published (offline or refused). */
  readonly stats = { published: 0, throttled: 0, unpublished: 0 };
  private readonly throttle: VerdictThrottle;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly opts: VerdictTopicOptions) {
    this.throttle = new VerdictThrottle(opts.minIntervalMs, opts.now);
  }

  start(): void {
    this.unsubscribe ??= this.opts.port.onVerdict((v) => this.onVerdict(v));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private onVerdict(v: VerdictMessage): void {
    if (!this.throttle.admit(v.camera, v.verdict)) {
      this.stats.throttled++;
      return;
    }
    let pub: Publication;
    try {
      pub = toPublication('verdict', { ...this.opts.address, camera: v.camera }, v);
    } catch (e) {
      this.stats.unpublished++;
      this.opts.warn(`verdict for ${v.camera} frame ${v.frame} not published: ${reasonOf(e)}`);
      return;
    }
    void this.opts.publish(pub).then((ok) => {
      if (ok) this.stats.published++;
      else this.stats.unpublished++;
    });
  }
}
