/**
 * Bus over an external broker (Mosquitto, EMQX) with an mqtt.js client, for sites that outgrow the embedded aedes.
 * Device authentication and ACLs are then the broker's job (configure them with the same rules as broker/acl.ts).
 * With `sharedGroup`, replicas subscribe via MQTT 5 shared subscriptions and split the ingest; retained kinds stay
 * plain subscriptions (protocol's controllerSubscriptions decides). MQTT 5 also carries each publication's content
 * type (JSON or the binary envelope).
 *
 * Delivery: mqtt.js acknowledges QoS 1 to the broker on receipt, before our commit. That is safe because the
 * application-level `ack` (published only after the commit) is what lets an agent drop an event from its outbox.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { mqtt5Properties, topicMatches, type QoS } from '@linewatch/protocol';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import type { ClientTls } from '../tls.js';
import type { Bus, BusHandler, BusPublication } from './bus.js';

export interface ExternalBusOptions {
  url: string;
  username: string | null;
  password: string | null;
  /** For mqtts:// and wss:// URLs: the CA to verify the broker against (default: system CAs), a client cert + key. */
  tls?: ClientTls;
}

export async function connectExternalBus(ctx: Ctx, opts: ExternalBusOptions): Promise<Bus> {
  const routes: Array<{ filter: string; handler: BusHandler; qos: QoS }> = [];
  let client: MqttClient;
  try {
    client = await mqtt.connectAsync(opts.url, {
      clientId: `lw-controller-${randomBytes(4).toString('hex')}`,
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      ...(opts.username !== null && { username: opts.username }),
      ...(opts.password !== null && { password: opts.password }),
      // Verification stays on (mqtt.js default rejectUnauthorized: true); these only say whom to trust.
      ...opts.tls,
    });
  } catch (e) {
    throw ctrlError('LW_CTRL_BROKER_UNAVAILABLE', `cannot connect to the MQTT broker: ${(e as Error).message}`, {
      cause: e,
    });
  }
  client.on('message', (topic, payload) => {
    for (const r of routes) if (topicMatches(r.filter, topic)) r.handler(topic, payload);
  });
  // A clean session loses subscriptions on reconnect: renew them.
  client.on('connect', (ack) => {
    if (!ack.sessionPresent) for (const r of routes) client.subscribe(r.filter, { qos: r.qos });
  });
  client.on('error', (err) => ctx.log.warn({ err: err.message }, 'mqtt client error'));

  return {
    async subscribe(filter: string, handler: BusHandler, qos: QoS = 1) {
      routes.push({ filter, handler, qos });
      const granted = await client.subscribeAsync(filter, { qos });
      if (granted.some((g) => g.qos >= 128))
        throw ctrlError('LW_CTRL_BROKER_ACL', `broker refused subscription ${filter}`);
    },
    async publish(p: BusPublication) {
      // MQTT 5: subscribers (line software, broker rules) see JSON or envelope from the content type.
      const properties = p.payload.length > 0 ? mqtt5Properties(p.payload) : undefined;
      await client.publishAsync(p.topic, Buffer.from(p.payload), { qos: p.qos, retain: p.retain, properties });
    },
    get connected() {
      return client.connected;
    },
    async close() {
      // Graceful while connected (in-flight acks complete); an unreachable broker must not hold the shutdown.
      if (!client.connected) return void (await client.endAsync(true));
      const timer = setTimeout(() => client.end(true), 5000);
      await client.endAsync();
      clearTimeout(timer);
    },
  };
}
