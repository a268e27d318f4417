/**
 * A test stand-in for the agent's outbox, speaking @linewatch/protocol: every event is kept until an `ack` naming
 * its id arrives; on every (re)connect everything still unacked is published again. The transport is replaceable
 * (connect() may be called again after the broker went away), the outbox survives it.
 */
import { agentSubscriptions, fromPublication, type Publication } from '@linewatch/protocol';
import type { MqttClient } from 'mqtt';
import { connectDevice, type TestDevice } from './mqtt.js';

export class OutboxPublisher {
  /** eventId → publication, until acked. Insertion order = resend order. */
  readonly pending = new Map<string, Publication>();
  /** Every id an ack ever named, with the time it first arrived. */
  readonly acked = new Map<string, number>();
  /** eventId → publish time of its latest send (for publish→ack latency). */
  readonly sentAt = new Map<string, number>();
  publishes = 0;
  private client: MqttClient | null = null;

  constructor(private readonly device: TestDevice) {}

  get connected(): boolean {
    return this.client?.connected === true;
  }

  async connect(port: number): Promise<void> {
    this.drop();
    const c = await connectDevice(port, this.device);
    const [ack] = agentSubscriptions({ site: this.device.site, line: this.device.line, device: this.device.id });
    await c.subscribeAsync(ack!.topic, { qos: 1 });
    c.on('message', (topic, payload) => {
      const got = fromPublication(topic, payload);
      if (got.kind !== 'ack') return;
      const now = Date.now();
      for (const id of got.message.eventIds) {
        this.pending.delete(id);
        if (!this.acked.has(id)) this.acked.set(id, now);
      }
    });
    // mqtt.js reports a dead broker as an error then close; the outbox only cares that it is no longer connected.
    c.on('error', () => {});
    this.client = c;
    for (const [id, pub] of this.pending) this.publish(id, pub);
  }

  /** Queues an event and publishes it now if connected (else on the next connect). */
  send(eventId: string, pub: Publication): void {
    this.pending.set(eventId, pub);
    if (this.connected) this.publish(eventId, pub);
  }

  /** Forgets the transport without a clean disconnect (the broker is gone anyway). */
  drop(): void {
    this.client?.end(true);
    this.client = null;
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.endAsync(true);
  }

  private publish(eventId: string, pub: Publication): void {
    this.sentAt.set(eventId, Date.now());
    this.publishes += 1;
    this.client!.publish(pub.topic, Buffer.from(pub.payload), { qos: pub.qos, retain: pub.retain }, () => {
      // A publish that fails with the connection is still pending and goes out again on reconnect.
    });
  }
}
