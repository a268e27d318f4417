/**
 * A controller with the embedded broker, listening on loopback HTTP (agents download packages for real), a
 * trusted signing key, a parent model in the registry and N simulated agents running it.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { App, BuildOptions } from '../../src/app.js';
import type { HeldOutMetrics } from '../../src/registry/registry.js';
import type { RolloutDetailBody } from '@linewatch/protocol/http';
import { login, testApp, type Session } from './http.js';
import { images } from './messages.js';
import { provision } from './mqtt.js';
import { SimAgent, stubPackage } from './sim-agent.js';

export interface Fixture {
  app: App;
  admin: Session;
  adminPassword: string;
  agents: SimAgent[];
  keys: { privateKey: KeyObject; publicKey: KeyObject; pem: string };
  addCandidate(version: string, build: number, cand: Partial<HeldOutMetrics>, parent?: string): Promise<void>;
  rollout(id: string): Promise<RolloutDetailBody>;
  close(): Promise<void>;
}

export const PARENT_METRICS: HeldOutMetrics = { imageAuroc: 0.9, pixelAuroc: 0.85, falseAlarmRate: 0.05, n: 200 };

export interface FixtureOptions {
  agents: number;
  flagRate: (version: string) => number;
  latencyFor?: (version: string) => number;
  fps?: number;
  build?: Partial<BuildOptions>;
  keys?: Fixture['keys'];
  /** Reuse agents (restart test); they are (re)connected to this app's broker. */
  reuseAgents?: SimAgent[];
  adminPassword?: string;
  /** An external broker the agents connect to (default: the controller's embedded one). */
  mqttUrl?: string;
  /** Skip registering the parent (already in a reused store). */
  skipParent?: boolean;
}

export function makeKeys(): Fixture['keys'] {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export async function rolloutFixture(o: FixtureOptions): Promise<Fixture> {
  const keys = o.keys ?? makeKeys();
  const { app, adminPassword: boot } = await testApp({
    ...o.build,
    overrides: {
      mqtt: { enabled: true, port: 0 },
      registry: { trustedKeys: [keys.pem] },
      rollouts: { tickMs: 50 },
      ingest: { flushIntervalMs: 100, ackMaxDelayMs: 5 },
      ...o.build?.overrides,
    },
  });
  const adminPassword = o.adminPassword ?? boot;
  await app.listen({ host: '127.0.0.1', port: 0 });
  const admin = await login(app, 'admin', adminPassword);
  if (!o.skipParent) {
    // The parent goes in through the admin upload route (no parent itself, so no metrics needed).
    const res = await app.inject({
      method: 'POST',
      url: '/api/models?version=v1&line=line-1',
      headers: { ...admin.headers, 'content-type': 'application/octet-stream' },
      payload: stubPackage(keys.privateKey, keys.publicKey, '1.0.0', 1),
    });
    if (res.statusCode !== 201) throw new Error(`parent upload: ${res.statusCode} ${res.body}`);
  }
  const mqttUrl = o.mqttUrl ?? `mqtt://127.0.0.1:${app.broker!.port}`;
  const imgs = await images();
  let agents: SimAgent[];
  if (o.reuseAgents) {
    agents = o.reuseAgents;
    for (const a of agents) a.retarget(mqttUrl);
  } else {
    agents = [];
    for (let i = 0; i < o.agents; i++) {
      const d = await provision(app.ctx.store, `dev-${String(i).padStart(2, '0')}`, 'line-1', 'plant-a');
      agents.push(
        new SimAgent({
          mqttUrl,
          device: d,
          trustedKeys: [keys.publicKey],
          version: 'v1',
          flagRate: o.flagRate,
          fps: o.fps ?? 40,
          images: imgs,
          ...(o.latencyFor && { latencyFor: o.latencyFor }),
        }),
      );
    }
  }
  await Promise.all(agents.map((a) => a.start()));
  // The fleet view must know every device (online, version, health) before a rollout plans its waves.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const fleet = await app.ctx.store.fleet.list();
    if (fleet.filter((f) => f.online && f.health !== null).length >= agents.length) break;
    if (Date.now() > deadline) throw new Error('agents did not come online');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    app,
    admin,
    adminPassword,
    agents,
    keys,
    async addCandidate(version, build, cand, parent = 'v1') {
      await app.registry.addVersion({
        version,
        line: 'line-1',
        parentVersion: parent,
        jobId: `job-${version}`,
        datasetSnapshotId: `ds-${version}`,
        metrics: { candidate: { ...PARENT_METRICS, ...cand }, parent: PARENT_METRICS },
        threshold: 0.5,
        packageTar: stubPackage(keys.privateKey, keys.publicKey, `1.0.${build}`, build),
        createdBy: 'worker:test',
      });
    },
    async rollout(id) {
      const res = await app.inject({ method: 'GET', url: `/api/rollouts/${id}`, headers: admin.headers });
      if (res.statusCode !== 200) throw new Error(`rollout ${id}: ${res.statusCode} ${res.body}`);
      return res.json() as RolloutDetailBody;
    },
    async close() {
      await Promise.all(agents.map((a) => a.stop()));
      await app.close();
    },
  };
}

/** Polls the rollout until the predicate holds (bounded). */
export async function untilRollout(
  f: Fixture,
  id: string,
  pred: (r: RolloutDetailBody) => boolean,
  timeoutMs = 20_000,
  what = 'rollout condition',
): Promise<RolloutDetailBody> {
  const start = Date.now();
  for (;;) {
    const r = await f.rollout(id);
    if (pred(r)) return r;
    if (Date.now() - start > timeoutMs) {
      throw new Error(
        `timed out waiting for ${what}; state ${r.rollout.state}, decisions:\n${r.decisions.map((d) => `  ${d.action}: ${d.reason}`).join('\n')}`,
      );
    }
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** A rollout policy that moves in fractions of a second, for tests. */
export const FAST = {
  canaryDevices: 1,
  wavePercent: 50,
  observeS: 0.3,
  minFrames: 40,
  minWaveIntervalS: 0,
  minBaselineFrames: 50,
  installTimeoutS: 20,
  healthGraceS: 0.6,
};

/** Approves `version` with `policy` over HTTP; returns the rollout it started. */
export async function approve(f: Fixture, version: string, policy: Record<string, unknown>): Promise<string> {
  const res = await f.app.inject({
    method: 'POST',
    url: `/api/models/${version}/approve`,
    headers: f.admin.headers,
    payload: { policy },
  });
  assert.equal(res.statusCode, 200, res.body);
  const id = (res.json() as { rolloutId: string | null }).rolloutId;
  assert.ok(id);
  return id;
}
