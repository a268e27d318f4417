/**
 * Batches event acks per device: the protocol's ack carries up to 1000 event ids, so under load one publication can
 * release many outbox entries. Ids are added only after their commit (the caller guarantees it); a device's batch
 * goes out when the ingest queue drains, when it reaches MAX_IDS, or after maxDelayMs — so an idle controller acks
 * at once and a busy one sends fewer, fuller acks. A failed publish is only logged: the agent resends unacked
 * events and redeliveries are acked again.
 */
import { toPublication } from '@linewatch/protocol';
import type { Bus } from '../broker/bus.js';
import type { Ctx } from '../context.js';

export const MAX_IDS = 1000;

interface Pending {
  address: { site: string; line: string; device: string };
  ids: string[];
}

export class AckBatcher {
  private readonly byDevice = new Map<string, Pending>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight = new Set<Promise<void>>();
  private inFlightIds = 0;

  constructor(
    /** Only the clock and a warning log: an ack that cannot be published is resent by the agent. */
    private readonly ctx: Pick<Ctx, 'clock'> & { log: Pick<Ctx['log'], 'warn'> },
    private readonly bus: Bus,
    private readonly maxDelayMs = 20,
  ) {}

  add(address: { site: string; line: string; device: string }, eventId: string): void {
    const key = `${address.site}/${address.line}/${address.device}`;
    let p = this.byDevice.get(key);
    if (!p) {
      p = { address, ids: [] };
      this.byDevice.set(key, p);
    }
    // A redelivery may be acked twice in one batch window; one mention is enough.
    if (!p.ids.includes(eventId)) p.ids.push(eventId);
    if (p.ids.length >= MAX_IDS) {
      this.byDevice.delete(key);
      this.send(p);
    }
    if (!this.timer && this.byDevice.size > 0) {
      this.timer = setTimeout(() => this.flush(), this.maxDelayMs);
      this.timer.unref();
    }
  }

  /** Event ids committed but not acked yet: waiting in a batch, or in a publication not yet handed to the broker. */
  get pending(): number {
    let waiting = 0;
    for (const p of this.byDevice.values()) waiting += p.ids.length;
    return waiting + this.inFlightIds;
  }

  /** Publishes every pending batch now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batches = [...this.byDevice.values()];
    this.byDevice.clear();
    for (const p of batches) this.send(p);
  }

  /** Flushes and waits until every ack publication has been handed to the broker (shutdown, tests). */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all([...this.inFlight]);
  }

  private send(p: Pending): void {
    const pub = toPublication('ack', p.address, {
      device: p.address.device,
      eventIds: p.ids,
      ts: this.ctx.clock.now().getTime(),
    });
    const sent: Promise<void> = this.bus.publish(pub).then(
      () => {},
      (err: unknown) =>
        this.ctx.log.warn(
          { err, code: 'LW_CTRL_BROKER_UNAVAILABLE', device: p.address.device, ids: p.ids.length },
          'ack not published; the agent will resend',
        ),
    );
    this.inFlight.add(sent);
    this.inFlightIds += p.ids.length;
    void sent.finally(() => {
      this.inFlight.delete(sent);
      this.inFlightIds -= p.ids.length;
    });
  }
}
