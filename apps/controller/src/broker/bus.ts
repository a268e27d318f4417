/**
 * How ingest talks to MQTT, independent of where the broker runs: the embedded aedes broker implements it
 * in-process; an external broker (Mosquitto, EMQX) would implement it with an mqtt.js client.
 */
import type { QoS } from '@linewatch/protocol';

/** Called once per received message; must not throw (ingest catches and logs). */
export type BusHandler = (topic: string, payload: Buffer) => void;

export interface BusPublication {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
}

export interface Bus {
  subscribe(filter: string, handler: BusHandler, qos?: QoS): Promise<void>;
  publish(p: BusPublication): Promise<void>;
  close(): Promise<void>;
  /**
   * The link is up now: the embedded broker's listener accepts connections, or the external client is connected
   * (it reconnects by itself; this turns true again when it has). Read by /readyz.
   */
  readonly connected: boolean;
}
