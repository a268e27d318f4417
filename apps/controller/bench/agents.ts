/**
 * Simulated agents for the ingest benchmark: N devices on loopback MQTT, each publishing scores (QoS 0, open loop at
 * a target rate) or flagged events (QoS 1, closed loop with an outbox-like in-flight window; the controller's ack,
 * sent only after the commit, closes each one). Latency is publish → ack receipt, an upper bound of publish → commit.
 */
import mqtt from 'mqtt';
import { fromPublication, toPublication } from '@linewatch/protocol';

export interface BenchDevice {
  id: string;
  /** null for brokers without device auth (the throw-away Mosquitto is anonymous). */
  secret: string | null;
}

const SITE = 'bench';
const LINE = 'line-1';
export const benchAddress = (id: string) => ({ site: SITE, line: LINE, device: id });

export async function connectAgents(url: string, devices: BenchDevice[]): Promise<mqtt.MqttClient[]> {
  return Promise.all(
    devices.map((d) =>
      mqtt
        .connectAsync(url, {
          clientId: d.id,
          ...(d.secret ? { username: d.id, password: d.secret } : {}),
          reconnectPeriod: 0,
          protocolVersion: 4,
        })
        .then((c) => {
          // No Nagle on the agent side either (see broker/embedded.ts): small PUBACK/ack writes must not wait.
          (c.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
          return c;
        }),
    ),
  );
}

/** Publishes `rate` scores per second in total, spread over the clients, for `ms`; returns how many were sent. */
export async function scoreLoad(clients: mqtt.MqttClient[], rate: number, ms: number): Promise<number> {
  const tickMs = 10;
  const perTick = (rate * tickMs) / 1000;
  let sent = 0;
  let owed = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    // Catch up on ticks lost to timer jitter so the offered rate holds on a busy machine.
    owed = ((performance.now() - start) / 1000) * rate - sent;
    const n = Math.max(0, Math.floor(owed));
    for (let i = 0; i < n; i++) {
      const c = clients[(sent + i) % clients.length]!;
      const id = String(c.options.clientId);
      const p = toPublication(
        'score',
        { ...benchAddress(id), camera: 'cam-1' },
        { camera: 'cam-1', frame: sent + i, ts: Date.now(), score: Math.random() },
      );
      c.publish(p.topic, Buffer.from(p.payload), { qos: 0 });
    }
    sent += n;
    await new Promise((r) => setTimeout(r, perTick >= 1 ? tickMs : 1));
  }
  return sent;
}

export interface EventLoadResult {
  acked: number;
  latenciesMs: number[];
}

/** Each client keeps `window` events in flight for `ms`; seq numbers start at `seq0` (unique per run). */
export async function eventLoad(
  clients: mqtt.MqttClient[],
  images: { jpeg: Uint8Array; map: Uint8Array },
  opts: { window: number; ms: number; seq0: number },
): Promise<EventLoadResult> {
  const latenciesMs: number[] = [];
  let acked = 0;
  const deadline = performance.now() + opts.ms;
  await Promise.all(
    clients.map(async (c) => {
      const id = String(c.options.clientId);
      const sentAt = new Map<string, number>();
      let seq = opts.seq0;
      let wake: (() => void) | null = null;
      c.on('message', (topic, payload) => {
        const r = fromPublication(topic, payload);
        if (r.kind !== 'ack') return;
        const now = performance.now();
        for (const eid of r.message.eventIds) {
          const t = sentAt.get(eid);
          if (t === undefined) continue;
          sentAt.delete(eid);
          if (now <= deadline) {
            latenciesMs.push(now - t);
            acked += 1;
          }
        }
        wake?.();
      });
      await c.subscribeAsync(`linewatch/v1/${SITE}/${LINE}/${id}/ack`, { qos: 1 });
      while (performance.now() < deadline) {
        while (sentAt.size < opts.window && performance.now() < deadline) {
          seq += 1;
          const eventId = `${id}-${seq}`;
          const p = toPublication(
            'event',
            { ...benchAddress(id), camera: 'cam-1' },
            {
              eventId,
              device: id,
              camera: 'cam-1',
              seq,
              ts: Date.now(),
              modelVersion: 'bench',
              score: 0.9,
              threshold: 0.5,
              jpeg: images.jpeg,
              anomalyMap: images.map,
            },
          );
          sentAt.set(eventId, performance.now());
          c.publish(p.topic, Buffer.from(p.payload), { qos: 1 });
        }
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
        wake = null;
      }
      c.removeAllListeners('message');
    }),
  );
  return { acked, latenciesMs };
}

export function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
