/**
 * A stream of flagged events from one device, like the agent's sender: at most `window` unacked events in flight,
 * and an event still unacked `resendAfterMs` after its publish is sent again (apps/agent/src/sender.ts does the
 * same). That resend is what carries events a killed replica had taken from the broker but not committed: with a
 * clean session the broker forgets them together with the dead subscriber.
 */
import type { Publication } from '@linewatch/protocol';
import { eventPub } from './messages.js';
import type { TestDevice } from './mqtt.js';
import { OutboxPublisher } from './outbox-publisher.js';

export interface EventStreamOptions {
  device: TestDevice;
  mqttPort: number;
  /** Sequence numbers first..first+total-1. */
  first: number;
  total: number;
  window: number;
  resendAfterMs: number;
  /** Pause between publishes (0 = as fast as the window allows). */
  gapMs?: number;
  /** Frame and anomaly map to send (default: the small test images). */
  images?: { jpeg: Uint8Array; map: Uint8Array };
}

export class EventStream {
  readonly pub: OutboxPublisher;
  /** eventId → first publish time (publish → ack latency is measured from it). */
  readonly firstSentAt = new Map<string, number>();
  private stopped = false;
  private producer: Promise<void> = Promise.resolve();
  private resender: NodeJS.Timeout | null = null;

  constructor(private readonly o: EventStreamOptions) {
    this.pub = new OutboxPublisher(o.device);
  }

  static idOf(device: TestDevice, seq: number): string {
    return `evt-${device.id}-${seq}`.padEnd(8, '0');
  }

  get acked(): number {
    return this.pub.acked.size;
  }

  get done(): boolean {
    return this.pub.acked.size >= this.o.total;
  }

  async start(): Promise<void> {
    const pubs: Publication[] = await Promise.all(
      Array.from({ length: this.o.total }, (_, i) =>
        eventPub(
          this.o.device,
          this.o.first + i,
          this.o.images && { jpeg: this.o.images.jpeg, anomalyMap: this.o.images.map },
        ),
      ),
    );
    await this.pub.connect(this.o.mqttPort);
    this.resender = setInterval(() => this.resendStale(), Math.min(500, this.o.resendAfterMs / 2));
    this.producer = this.produce(pubs);
  }

  private async produce(pubs: Publication[]): Promise<void> {
    for (let i = 0; i < pubs.length && !this.stopped;) {
      if (this.pub.pending.size >= this.o.window) {
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      const id = EventStream.idOf(this.o.device, this.o.first + i);
      this.firstSentAt.set(id, Date.now());
      this.pub.send(id, pubs[i]!);
      i += 1;
      if (this.o.gapMs) await new Promise((r) => setTimeout(r, this.o.gapMs));
    }
  }

  private resendStale(): void {
    const now = Date.now();
    for (const [id, p] of this.pub.pending) {
      if (now - (this.pub.sentAt.get(id) ?? now) >= this.o.resendAfterMs) this.pub.send(id, p);
    }
  }

  /** Ack arrival times (ms since the epoch), ascending. */
  ackTimes(): number[] {
    return [...this.pub.acked.values()].sort((x, y) => x - y);
  }

  /** Publish → first ack, per acked event, in ms. */
  latencies(): number[] {
    const out: number[] = [];
    for (const [id, at] of this.pub.acked) {
      const t0 = this.firstSentAt.get(id);
      if (t0 !== undefined) out.push(at - t0);
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resender) clearInterval(this.resender);
    await this.producer;
    await this.pub.close().catch(() => {});
  }
}
