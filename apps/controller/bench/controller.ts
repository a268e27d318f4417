/**
 * Ingest benchmark: D devices publish E flagged events (QoS 1) and S scores (QoS 0) each over real MQTT to a
 * controller with a file-backed SQLite store and disk blob store; reports events/s and publish→ack latency.
 * Bounded: everything stops after LW_BENCH_TIMEOUT_MS. Usage (repo root): npm run bench:controller
 * Env: LW_BENCH_DEVICES (4), LW_BENCH_EVENTS (200 per device), LW_BENCH_SCORES (2000 per device).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { fromPublication, toPublication } from '@linewatch/protocol';
import { encodeJpeg } from '@linewatch/vision';
import { build } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { grayPng } from '../test/helpers/png.js';

const D = Number(process.env.LW_BENCH_DEVICES ?? 4);
const E = Number(process.env.LW_BENCH_EVENTS ?? 200);
const S = Number(process.env.LW_BENCH_SCORES ?? 2000);
const TIMEOUT = Number(process.env.LW_BENCH_TIMEOUT_MS ?? 120_000);
const W = 320;
const H = 240;

const dir = mkdtempSync(join(tmpdir(), 'lw-bench-'));
const config = loadConfig({ env: {}, overrides: { dataDir: dir, logLevel: 'warn', mqtt: { port: 0 } } });
const app = await build({ config, logger: false, onBootstrap: () => {} });
const clients: mqtt.MqttClient[] = [];
const timer = setTimeout(() => {
  console.error(`bench: timed out after ${TIMEOUT} ms`);
  process.exit(2);
}, TIMEOUT);
try {
  const rgb = new Uint8Array(W * H * 3).map((_, i) => (i * 31) % 253);
  const jpeg = new Uint8Array(await encodeJpeg({ width: W, height: H, channels: 3, data: rgb }));
  const map = grayPng(W, H, new Uint8Array(W * H).map((_, i) => i % 256));
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: D }, async (_, i) => {
      const id = `bench-${i}`;
      const secret = randomBytes(32).toString('base64url');
      const addr = { site: 'bench', line: 'line-1', device: id };
      await app.ctx.store.createDevice({
        id, name: id, site: 'bench', line: 'line-1', createdAt: new Date(), disabledAt: null,
        credentialHash: createHash('sha256').update(secret).digest('hex'),
      });
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${app.broker!.port}`, {
        clientId: id, username: id, password: secret, reconnectPeriod: 0,
      });
      clients.push(c);
      let acked = 0;
      const done = new Promise<void>((resolve) =>
        c.on('message', (topic, payload) => {
          const r = fromPublication(topic, payload);
          if (r.kind !== 'ack') return;
          for (const eid of r.message.eventIds) latencies.push(performance.now() - (sentAt.get(eid) ?? 0));
          acked += r.message.eventIds.length;
          if (acked >= E) resolve();
        }),
      );
      await c.subscribeAsync(`linewatch/v1/bench/line-1/${id}/ack`, { qos: 1 });
      for (let s = 0; s < S; s++) {
        const p = toPublication('score', { ...addr, camera: 'cam-1' }, { camera: 'cam-1', frame: s, ts: Date.now(), score: Math.random() });
        c.publish(p.topic, Buffer.from(p.payload), { qos: 0 });
      }
      for (let seq = 0; seq < E; seq++) {
        const eventId = `${id}-ev-${seq}`;
        const p = toPublication('event', { ...addr, camera: 'cam-1' }, {
          eventId, device: id, camera: 'cam-1', seq, ts: Date.now(), modelVersion: 'bench', score: 0.9, threshold: 0.5,
          jpeg, anomalyMap: map,
        });
        sentAt.set(eventId, performance.now());
        await c.publishAsync(p.topic, Buffer.from(p.payload), { qos: 1 });
      }
      await done;
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await app.ingest!.idle();
  await app.ingest!.flushScores();
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  console.log(
    JSON.stringify({
      devices: D,
      events: D * E,
      scores: D * S,
      seconds: +seconds.toFixed(2),
      eventsPerSecond: +((D * E) / seconds).toFixed(1),
      ackLatencyMs: { p50: +pct(0.5).toFixed(1), p99: +pct(0.99).toFixed(1) },
      eventBytes: jpeg.length + map.length,
    }),
  );
} finally {
  clearTimeout(timer);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
