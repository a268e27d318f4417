/**
 * Moves outbox events to the broker, oldest first, one connection at a time. At most `maxInFlight` events are
 * published-but-unacked at once (so a long backlog after an outage drains steadily instead of flooding the
 * broker), and an event still unacked `resendAfterMs` after its publish is sent again: the controller dedupes on
 * (device, seq), so at-least-once here is exactly-once in its store. Because one connection carries events in
 * sequence order and new events queue behind the backlog, per-camera order is preserved.
 */
import type { MqttLink } from './mqtt/link.js';
import type { Outbox, OutboxEntry } from './outbox.js';

export class EventSender {
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private again = false;
  published = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly link: MqttLink,
    private readonly opts: { maxInFlight: number; resendAfterMs: number },
  ) {
    // An entry written asynchronously becomes publishable later: send it then.
    outbox.onReady(() => this.pump());
  }

  start(): void {
    this.timer = setInterval(() => this.pump(), Math.min(1000, this.opts.resendAfterMs / 2));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** A new connection: nothing is in flight on it yet. */
  onConnect(): void {
    for (const e of this.outbox.pending()) e.sentAt = undefined;
    this.pump();
  }

  /** Call after adds and acks. Re-entrant calls coalesce into one more pass. */
  pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        this.pass();
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  private pass(): void {
    if (!this.link.connected) return;
    const now = performance.now();
    let inFlight = 0;
    const toSend: OutboxEntry[] = [];
    for (const e of this.outbox.pending()) {
      if (e.writing) break; // not durable yet; and nothing behind it may overtake it
      if (e.sentAt !== undefined && now - e.sentAt < this.opts.resendAfterMs) {
        inFlight++;
        continue;
      }
      if (inFlight + toSend.length >= this.opts.maxInFlight) break;
      toSend.push(e);
    }
    for (const e of toSend) {
      e.sentAt = now;
      this.published++;
      void this.link.publish({ topic: e.topic, payload: e.payload, qos: 1, retain: false }).then((ok) => {
        // Not accepted (went offline mid-publish): make it eligible again on the next connection / pass.
        if (!ok) e.sentAt = undefined;
      });
    }
  }
}
