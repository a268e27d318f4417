/**
 * Rollout benchmark (repo root): `npm run bench:rollout -- [--json out.json] [--agents 50] [--fps 10]`.
 *
 * N simulated agents (stub inference with a per-version flag rate; real MQTT against the embedded broker; real
 * HTTP package downloads, sha256 + Ed25519 signature checked by each agent) run the parent model. Then:
 *  1. approval → all live: a good candidate is approved (the approve route starts the rollout: canary, waves,
 *     health + flag-rate gates); the clock runs from the approve request to the moment the last agent runs it.
 *  2. gate failure → all rolled back: a second candidate is approved; once its last wave has started it "drifts"
 *     (the stub flags 40% of frames), the flag-rate gate fails, and every updated device is rolled back. The clock
 *     runs from the engine's gate-failed decision to the moment the last agent runs the parent again.
 * Policy used (fast, documented in the README): canary 5 devices, waves of 50%, observe 2 s (5 s for the drifting
 * candidate so the gate can trip inside the last wave), ≥ 100 candidate frames, no wave spacing.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { RolloutDetailBody } from '@linewatch/protocol/http';
import { build, type App } from '../src/app.js';
import { login } from '../test/helpers/http.js';
import { images } from '../test/helpers/messages.js';
import { provision } from '../test/helpers/mqtt.js';
import { makeKeys, PARENT_METRICS } from '../test/helpers/rollout-fixture.js';
import { SimAgent, stubPackage } from '../test/helpers/sim-agent.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'string' },
    agents: { type: 'string', default: '50' },
    fps: { type: 'string', default: '10' },
  },
});
const AGENTS = Number(args.agents);
const FPS = Number(args.fps);
const hardStop = setTimeout(() => {
  console.error('bench: hard timeout');
  process.exit(2);
}, 300_000);
hardStop.unref();

const POLICY = {
  canaryDevices: 5,
  wavePercent: 50,
  observeS: 2,
  minFrames: 100,
  minWaveIntervalS: 0,
  minBaselineFrames: 1000,
  installTimeoutS: 60,
  healthGraceS: 2.2,
};
let drifting = false;
const flagRate = (v: string): number => (v === 'v3' && drifting ? 0.4 : 0.02);

async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!(await pred())) {
    if (Date.now() - start > timeoutMs) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now();
}

async function main(): Promise<void> {
  const keys = makeKeys();
  let adminPassword = '';
  const app: App = await build({
    logger: { level: 'warn' },
    overrides: {
      mqtt: { enabled: true, port: 0 },
      registry: { trustedKeys: [keys.pem] },
      rollouts: { tickMs: 100 },
      ingest: { flushIntervalMs: 500 },
    },
    onBootstrap: (c) => (adminPassword = c.password),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const admin = await login(app, 'admin', adminPassword);
  const add = (version: string, build: number, parent: string | null) =>
    app.registry.addVersion({
      version,
      line: 'line-1',
      parentVersion: parent,
      jobId: null,
      datasetSnapshotId: null,
      metrics: parent ? { candidate: PARENT_METRICS, parent: PARENT_METRICS } : null,
      threshold: 0.5,
      packageTar: stubPackage(keys.privateKey, keys.publicKey, `1.0.${build}`, build),
      createdBy: 'bench',
    });
  await add('v1', 1, null);
  await add('v2', 2, 'v1');
  await add('v3', 3, 'v2');

  const imgs = await images();
  const agents: SimAgent[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const d = await provision(app.ctx.store, `bench-${String(i).padStart(3, '0')}`, 'line-1', 'plant-a');
    agents.push(
      new SimAgent({
        mqttUrl: `mqtt://127.0.0.1:${app.broker!.port}`,
        device: d,
        trustedKeys: [keys.publicKey],
        version: 'v1',
        flagRate,
        fps: FPS,
        healthEveryMs: 1000,
        images: imgs,
      }),
    );
  }
  await Promise.all(agents.map((a) => a.start()));
  await until(
    async () => (await app.ctx.store.fleet.list()).filter((f) => f.online && f.health !== null).length === AGENTS,
    30_000,
    'agents online',
  );
  await new Promise((r) => setTimeout(r, 5000)); // baseline on the parent
  const rollout = async (id: string): Promise<RolloutDetailBody> =>
    (
      await app.inject({ method: 'GET', url: `/api/rollouts/${id}`, headers: admin.headers })
    ).json() as RolloutDetailBody;
  const approve = async (version: string, policy: Record<string, unknown>): Promise<string> => {
    const res = await app.inject({
      method: 'POST',
      url: `/api/models/${version}/approve`,
      headers: admin.headers,
      payload: { policy },
    });
    if (res.statusCode !== 200) throw new Error(`approve ${version}: ${res.statusCode} ${res.body}`);
    return (res.json() as { rolloutId: string }).rolloutId;
  };

  // 1. approval → all live
  const t0 = performance.now();
  const idA = await approve('v2', POLICY);
  const tLive = await until(() => agents.every((a) => a.version === 'v2'), 120_000, 'all agents live on v2').catch(
    async (e: unknown) => {
      const r = await rollout(idA);
      console.error(
        r.rollout,
        r.decisions.map((d) => `${d.action}: ${d.reason}`),
        r.targets.filter((t) => t.state !== 'live'),
      );
      throw e;
    },
  );
  const tDone = await until(
    async () => (await rollout(idA)).rollout.state === 'completed',
    60_000,
    'v2 rollout completed',
  );
  const a = await rollout(idA);
  const approvalToAllLiveS = (tLive - t0) / 1000;

  // 2. gate failure → all rolled back
  const idB = await approve('v3', { ...POLICY, observeS: 5 });
  let waves = 0;
  await until(
    async () => {
      const r = await rollout(idB);
      waves = r.rollout.waves;
      if (r.rollout.wave === r.rollout.waves - 1) drifting = true;
      return r.decisions.some((d) => d.action === 'gate-failed') || r.rollout.state === 'completed';
    },
    120_000,
    'v3 gate failure',
  );
  let b = await rollout(idB);
  const failed = b.decisions.find((d) => d.action === 'gate-failed');
  if (!failed) throw new Error(`bench: v3 was not rolled back (state ${b.rollout.state})`);
  // Wall time of the decision on this clock: decisions carry ISO times from the (system) clock.
  const failedWall = Date.parse(failed.at);
  const touched = new Set(b.targets.filter((t) => t.state !== 'pending').map((t) => t.deviceId));
  await until(() => agents.every((x) => x.version === 'v2'), 120_000, 'all agents back on v2');
  const gateFailToAllRolledBackS = (Date.now() - failedWall) / 1000;
  await until(async () => (await rollout(idB)).rollout.state === 'rolled-back', 60_000, 'v3 rollout rolled back');
  b = await rollout(idB);

  const result = {
    agents: AGENTS,
    fps: FPS,
    approvalToAllLiveS: Number(approvalToAllLiveS.toFixed(2)),
    approvalToCompletedS: Number(((tDone - t0) / 1000).toFixed(2)),
    gateFailToAllRolledBackS: Number(gateFailToAllRolledBackS.toFixed(2)),
    rolledBackDevices: touched.size,
    gateFailure: failed.reason,
    waves: { good: a.rollout.waves, drifting: waves },
    downloads: agents.reduce((s, x) => s + x.downloads, 0),
    policy: POLICY,
    machine: { cpus: cpus().length, node: process.version },
    decisions: {
      good: a.decisions.map((d) => `${d.action}: ${d.reason}`),
      drifting: b.decisions.map((d) => `${d.action}: ${d.reason}`),
    },
  };
  console.log(JSON.stringify({ ...result, decisions: undefined }, null, 2));
  if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
  await Promise.all(agents.map((x) => x.stop()));
  await app.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
