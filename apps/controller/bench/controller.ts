/**
 * Controller benchmark (repo root): `npm run bench:controller -- [--json out.json] [--seconds 10] [--agents 4]
 * [--score-rate 10000] [--window 4] [--no-scaled] [--no-replicas] [--resend-after-ms 3000]`.
 *
 * Three set-ups, each with N simulated agents on loopback: `embedded` (aedes in-process + SQLite + disk blobs),
 * `scaled` (a throw-away Mosquitto + a throw-away PostgreSQL cluster, controller in external-broker mode) and
 * `replicas` (two controller processes on PostgreSQL + Mosquitto + S3, one killed -9: see replicas.ts). Per set-up:
 * a score phase (QoS 0 at an offered rate; reported = what ingest actually counted per second) and an event phase
 * (flagged events with ~50 KB of images, closed loop with an in-flight window per agent; reported = acked events/s
 * and publish→ack p50/p99, an upper bound of publish→commit since acks follow the commit). Then autocannon against
 * the review-queue API of the embedded set-up. Every phase is bounded by --seconds.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import type mqtt from 'mqtt';
import { encodeJpeg } from '@linewatch/vision';
import { build, type App } from '../src/app.js';
import { loadConfig, type ConfigInput } from '../src/config.js';
import { grayPng } from '../test/helpers/png.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { startPgCluster } from '../test/helpers/pg-cluster.js';
import { connectAgents, eventLoad, percentile, scoreLoad, type BenchDevice } from './agents.js';
import { queueApiLoad } from './queue-api.js';
import { runReplicas } from './replicas.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    agents: { type: 'string', default: '4' },
    'score-rate': { type: 'string', default: '10000' },
    window: { type: 'string', default: '4' },
    'no-scaled': { type: 'boolean', default: false },
    'no-replicas': { type: 'boolean', default: false },
    'resend-after-ms': { type: 'string', default: '3000' },
  },
});
const SECONDS = Number(args.seconds);
const AGENTS = Number(args.agents);
const SCORE_RATE = Number(args['score-rate']);
const WINDOW = Number(args.window);
// Hard stop: every phase is bounded, this catches a hang (broker or database gone) rather than waiting forever.
const hardStop = setTimeout(
  () => {
    console.error('bench: hard timeout');
    process.exit(2);
  },
  (SECONDS * 14 + 300) * 1000,
);
hardStop.unref();

async function benchImages(): Promise<{ jpeg: Uint8Array; map: Uint8Array }> {
  // Noise barely compresses: 320×240 RGB JPEG + a smooth 320×240 grey PNG ≈ 50 KB per event.
  const W = 320;
  const H = 240;
  const rgb = new Uint8Array(W * H * 3).map(() => Math.floor(Math.random() * 256));
  const jpeg = new Uint8Array(await encodeJpeg({ width: W, height: H, channels: 3, data: rgb }));
  const map = grayPng(
    W,
    H,
    new Uint8Array(W * H).map((_, i) => (i * 7) % 256),
  );
  return { jpeg, map };
}

async function provision(app: App, n: number): Promise<BenchDevice[]> {
  const out: BenchDevice[] = [];
  for (let i = 0; i < n; i++) {
    const id = `bench-${i}`;
    const secret = randomBytes(32).toString('base64url');
    await app.ctx.store.devices.create({
      id,
      name: id,
      site: 'bench',
      line: 'line-1',
      createdAt: new Date(),
      disabledAt: null,
      credentialHash: createHash('sha256').update(secret).digest('hex'),
    });
    out.push({ id, secret });
  }
  return out;
}

async function countedScores(app: App): Promise<number> {
  const m = await app.metrics.ingestMessages.get();
  return m.values.filter((v) => v.labels.kind === 'score').reduce((s, v) => s + v.value, 0);
}

async function ingestPhases(app: App, clients: mqtt.MqttClient[], images: { jpeg: Uint8Array; map: Uint8Array }) {
  const before = await countedScores(app);
  const t0 = performance.now();
  const offered = await scoreLoad(clients, SCORE_RATE, SECONDS * 1000);
  await new Promise((r) => setTimeout(r, 500)); // let in-flight QoS 0 messages land
  const counted = (await countedScores(app)) - before;
  // Rate over the offering window: the grace wait above only lets the tail land, it is not extra load time.
  const scoreSeconds = Math.min((performance.now() - t0) / 1000, SECONDS);
  const ev = await eventLoad(clients, images, { window: WINDOW, ms: SECONDS * 1000, seq0: 0 });
  await app.ingest!.idle();
  const sorted = ev.latenciesMs.sort((a, b) => a - b);
  return {
    scoreMsgsPerSec: Math.round(counted / scoreSeconds),
    scoreMsgsOffered: offered,
    scoreMsgsCounted: counted,
    eventsPerSec: +(ev.acked / SECONDS).toFixed(1),
    eventsAcked: ev.acked,
    p50Ms: +percentile(sorted, 0.5).toFixed(1),
    p99Ms: +percentile(sorted, 0.99).toFixed(1),
  };
}

async function runEmbedded(images: { jpeg: Uint8Array; map: Uint8Array }) {
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-'));
  let password = '';
  const config = loadConfig({
    env: {},
    overrides: { dataDir: dir, logLevel: 'warn', mqtt: { port: 0 }, http: { docs: false } },
  });
  const app = await build({ config, logger: false, onBootstrap: (c) => (password = c.password) });
  let clients: mqtt.MqttClient[] = [];
  try {
    const devices = await provision(app, AGENTS);
    clients = await connectAgents(`mqtt://127.0.0.1:${app.broker!.port}`, devices);
    const ingest = await ingestPhases(app, clients, images);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password },
    });
    const c = login.cookies.find((x) => x.name === 'lw_session')!;
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const queueApi = await queueApiLoad(base, `lw_session=${c.value}`, SECONDS);
    return { embedded: ingest, queueApi };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runScaled(images: { jpeg: Uint8Array; map: Uint8Array }) {
  const pg = await startPgCluster();
  const mosq = await startMosquitto().catch(async (e: unknown) => {
    await pg?.stop();
    throw e;
  });
  if (!pg || !mosq) {
    await pg?.stop();
    await mosq?.stop();
    return { skipped: `${pg ? '' : 'PostgreSQL '}${mosq ? '' : 'Mosquitto '}not installed` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-'));
  let app: App | null = null;
  let clients: mqtt.MqttClient[] = [];
  try {
    const overrides: ConfigInput = {
      dataDir: dir,
      logLevel: 'warn',
      http: { docs: false },
      db: { provider: 'postgresql', url: await pg.createDatabase('bench') },
      mqtt: { mode: 'external', url: mosq.url },
    };
    app = await build({ config: loadConfig({ env: {}, overrides }), logger: false, onBootstrap: () => {} });
    // The throw-away Mosquitto is anonymous: device auth/ACLs are the broker's job in external mode.
    const devices = (await provision(app, AGENTS)).map((d) => ({ ...d, secret: null }));
    clients = await connectAgents(mosq.url, devices);
    return await ingestPhases(app, clients, images);
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await app?.close();
    await mosq.stop();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const images = await benchImages();
const { embedded, queueApi } = await runEmbedded(images);
const scaled = args['no-scaled'] ? { skipped: '--no-scaled' } : await runScaled(images);
const replicas = args['no-replicas']
  ? { skipped: '--no-replicas' }
  : await runReplicas({
      agents: AGENTS,
      seconds: SECONDS,
      scoreRate: SCORE_RATE,
      window: WINDOW,
      resendAfterMs: Number(args['resend-after-ms']),
      images,
    });
const result = {
  setup: {
    agents: AGENTS,
    secondsPerPhase: SECONDS,
    scoreRateOffered: SCORE_RATE,
    eventWindowPerAgent: WINDOW,
    eventBytes: images.jpeg.length + images.map.length,
  },
  embedded,
  scaled,
  replicas,
  queueApi,
};
console.log(JSON.stringify(result, null, 2));
if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
