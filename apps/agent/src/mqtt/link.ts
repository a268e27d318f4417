/**
 * The agent's MQTT session: death registered as the will with a bdSeq that is incremented and persisted for every
 * connect attempt, birth + retained status right after each connect, the device's subscriptions, and publish
 * helpers that never queue while offline (scores are lossy by design; events are owned by the outbox, which
 * redelivers them itself after reconnect).
 *
 * MQTT 5 first, so every publication carries its content type (JSON or the binary envelope: protocol's
 * mqtt5Properties); a broker that refuses 5 (the controller's embedded aedes answers CONNACK 1, "unacceptable
 * protocol version"; an MQTT 5 broker that is configured for 3.1.1 answers reason 0x84) gets 3.1.1 on the next
 * attempt, and for the rest of this process. Nothing else depends on the version.
 */
import { readFileSync } from 'node:fs';
import { connect as mqttConnect } from 'mqtt';
import type { IClientOptions, IClientPublishOptions, MqttClient } from 'mqtt';
import { agentSubscriptions, deathWill, mqtt5Properties } from '@linewatch/protocol';
import type { DeviceAddress, Publication } from '@linewatch/protocol';
import type { AgentConfig } from '../config.js';
import type { BdSeq } from '../counters.js';
import { AgentError, reasonOf } from '../errors.js';
import { OutageLog } from './outage.js';

export type MqttFactory = (url: string, options: IClientOptions) => MqttClient;
export type MqttVersion = 4 | 5;
/** CONNACK codes that mean "not this protocol version": 3.1.1 return code 1, MQTT 5 reason 0x84. */
const UNSUPPORTED_PROTOCOL_VERSION = new Set([1, 0x84]);
export const defaultMqttFactory: MqttFactory = (url, options) => mqttConnect(url, options);

export interface LinkHandlers {
  /**
   * After every (re)connect, once subscriptions are requested; bdSeq is the one in this session's will. `outage` is
   * set when this connect ends one (at least one attempt had failed): how long the broker was unreachable, in how
   * many attempts.
   */
  connected(bdSeq: number, outage?: { downMs: number; attempts: number }): void;
  disconnected(): void;
  message(topic: string, payload: Buffer): void;
  /** Client errors. Failed connect attempts are paced (see outage.ts); their details say since when and how many. */
  error(code: 'LW_AGENT_MQTT', message: string, details?: Record<string, unknown>): void;
}

export function readTls(cfg: AgentConfig): Partial<IClientOptions> {
  const tls = cfg.broker.tls;
  if (!tls) return {};
  const read = (f: string | undefined): Buffer | undefined => {
    if (!f) return undefined;
    try {
      return readFileSync(f);
    } catch (e) {
      throw new AgentError('LW_AGENT_TLS_FILE', `${f}: ${reasonOf(e)}`, { file: f });
    }
  };
  const ca = read(tls.caFile);
  const cert = read(tls.certFile);
  const key = read(tls.keyFile);
  return {
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    rejectUnauthorized: true, // always: trust is narrowed with caFile, never switched off
  };
}

export class MqttLink {
  private client: MqttClient | undefined;
  private bdSeqInWill = 0;
  /** 5 until a broker refuses it. */
  private version: MqttVersion = 5;
  private readonly outage: OutageLog;
  /** Read at construction so a missing certificate fails start-up, not the first connect. */
  private readonly tls: Partial<IClientOptions>;

  constructor(
    private readonly cfg: AgentConfig,
    private readonly address: DeviceAddress,
    private readonly bdSeq: BdSeq,
    private readonly factory: MqttFactory = defaultMqttFactory,
    private readonly now: () => number = Date.now,
  ) {
    this.tls = readTls(cfg);
    this.outage = new OutageLog(now);
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  get currentBdSeq(): number {
    return this.bdSeqInWill;
  }

  /** The MQTT version of the current (or next) connection: 5, or 4 (3.1.1) once the broker refused 5. */
  get mqttVersion(): MqttVersion {
    return this.version;
  }

  private will(): IClientOptions['will'] {
    this.bdSeqInWill = this.bdSeq.advance();
    const w = deathWill(this.address, { device: this.address.device, bdSeq: this.bdSeqInWill, ts: this.now() });
    const payload = Buffer.from(w.payload);
    return {
      topic: w.topic,
      payload,
      qos: w.qos,
      retain: w.retain,
      ...(this.version === 5 ? { properties: mqtt5Properties(payload) } : {}),
    };
  }

  /** Connects (and keeps reconnecting); `handlers` get the session's events from now on. */
  start(handlers: LinkHandlers): void {
    const b = this.cfg.broker;
    const options: IClientOptions = {
      clientId: `lw-agent-${this.address.device}`.slice(0, 64),
      clean: true,
      keepalive: b.keepaliveS,
      reconnectPeriod: b.reconnectMs,
      connectTimeout: b.connectTimeoutMs,
      queueQoSZero: false,
      protocolVersion: this.version,
      ...(b.username !== undefined ? { username: b.username } : {}),
      ...(b.password !== undefined ? { password: b.password } : {}),
      ...this.tls,
      will: this.will(),
    };
    this.outage.attempt();
    const client = this.factory(b.url, options);
    this.client = client;
    this.watch(client, handlers);
  }

  private watch(client: MqttClient, handlers: LinkHandlers): void {
    let up = false;
    let fallingBack = false;
    let lastError: string | undefined;
    // mqtt.js reuses client.options for every reconnect: give each attempt a fresh will (new bdSeq).
    client.on('reconnect', () => {
      client.options.will = this.will();
      this.outage.attempt();
    });
    client.on('connect', () => {
      up = true;
      lastError = undefined;
      for (const s of agentSubscriptions(this.address)) client.subscribe(s.topic, { qos: s.qos });
      handlers.connected(this.bdSeqInWill, this.outage.recovered());
    });
    // mqtt.js closes after every failed attempt too (its reconnect timer starts there), with or without an error.
    client.on('close', () => {
      // Refused MQTT 5: mqtt.js does not reconnect after a refusal. Retry only now that the refused attempt's socket
      // has closed: reconnecting earlier would let this close schedule a second, parallel reconnect.
      const retry = fallingBack && !client.disconnecting;
      if (up) this.outage.lost();
      else if (!client.disconnecting && !fallingBack) this.attemptFailed(handlers, lastError); // not our own stop()
      up = false;
      fallingBack = false;
      lastError = undefined;
      handlers.disconnected();
      if (retry) client.reconnect();
    });
    client.on('error', (e) => {
      if (!client.connected && this.refusedMqtt5(client, e)) {
        fallingBack = true; // not a failed attempt: the next one speaks 3.1.1
        return;
      }
      // While connecting, an error is that attempt's failure: reported (paced) when its close follows.
      if (client.connected) handlers.error('LW_AGENT_MQTT', reasonOf(e));
      else lastError = reasonOf(e);
    });
    client.on('message', (topic, payload) => handlers.message(topic, payload));
  }

  /**
   * A broker that does not speak MQTT 5 refuses the CONNECT. The next attempt (started when this one's socket has
   * closed) speaks 3.1.1, which every broker does; the reconnect gives it a fresh will.
   */
  private refusedMqtt5(client: MqttClient, e: Error & { code?: unknown }): boolean {
    if (this.version !== 5 || typeof e.code !== 'number' || !UNSUPPORTED_PROTOCOL_VERSION.has(e.code)) return false;
    this.version = 4;
    client.options.protocolVersion = 4;
    return true;
  }

  private attemptFailed(handlers: LinkHandlers, reason: string | undefined): void {
    const line = this.outage.failed();
    if (!line) return;
    const s = (line.downMs / 1000).toFixed(1);
    const unlogged = line.unlogged > 0 ? `; ${line.unlogged} failures since the last report not logged` : '';
    handlers.error(
      'LW_AGENT_MQTT',
      `${reason ?? 'connection closed'} (broker unreachable for ${s} s, ${line.attempts} attempts${unlogged})`,
      { ...line },
    );
  }

  /** Publishes if connected; resolves true once the broker accepted it (PUBACK for QoS 1), false if offline/failed. */
  publish(p: Publication): Promise<boolean> {
    const c = this.client;
    if (!c?.connected) return Promise.resolve(false);
    return new Promise((resolve) => {
      c.publish(p.topic, this.bytes(p), this.publishOptions(p), (err) => resolve(!err));
    });
  }

  /** Fire-and-forget for QoS 0 traffic. */
  publishLossy(p: Publication): void {
    const c = this.client;
    if (!c?.connected) return;
    c.publish(p.topic, this.bytes(p), this.publishOptions(p));
  }

  private bytes(p: Publication): Buffer {
    return Buffer.from(p.payload.buffer, p.payload.byteOffset, p.payload.byteLength);
  }

  /** QoS and retain; over MQTT 5 also the payload's content type (JSON or envelope). */
  private publishOptions(p: Publication): IClientPublishOptions {
    const base = { qos: p.qos, retain: p.retain };
    return this.client?.options.protocolVersion === 5 ? { ...base, properties: mqtt5Properties(p.payload) } : base;
  }

  /** Publishes `last` (e.g. a "stopping" status) then disconnects cleanly. */
  async stop(last?: Publication): Promise<void> {
    const c = this.client;
    if (!c) return;
    if (last && c.connected) await this.publish(last);
    await new Promise<void>((resolve) => c.end(false, {}, () => resolve()));
    this.client = undefined;
  }

  /** Simulates a network failure (tests): drops the socket without DISCONNECT, so the will fires. */
  dropConnection(): void {
    this.client?.stream.destroy();
  }
}
