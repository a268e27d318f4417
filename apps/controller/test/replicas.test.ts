/**
 * Two controller replicas (real processes) on one PostgreSQL, one Mosquitto (shared-subscription ingest) and one S3
 * server, on loopback (issue 18 item 2). A starts first and leads; B joins. Through B: the event A ingested, with
 * its frame, and the package uploaded through A. Then, while events stream and a staged rollout (approved through
 * B, started by A's engine) observes its canary, A is killed -9: B stores every event exactly once, takes the
 * leader lease over, and finishes the rollout without commanding any device twice.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { fromPublication, type DesiredModelMessage } from '@linewatch/protocol';
import type { RolloutDetailBody } from '@linewatch/protocol/http';
import { DownloadTokens } from '../src/registry/download-token.js';
import { systemClock } from '../src/clock.js';
import { EventStream } from './helpers/event-stream.js';
import { images } from './helpers/messages.js';
import { provision, waitFor, type TestDevice } from './helpers/mqtt.js';
import {
  REPLICAS_SKIP,
  httpLogin,
  leases,
  startReplicas,
  untilLeasesHeld,
  type HttpSession,
  type Replica,
  type ReplicaSet,
} from './helpers/replicas.js';
import { makeKeys } from './helpers/rollout-fixture.js';
import { SimAgent, stubPackage } from './helpers/sim-agent.js';

const STREAM = 300; // events streamed around the kill
const KILL_AFTER = 80; // acked before A is killed
const TAKEOVER_MAX_MS = 15_000; // issue 18: leader takeover ≤ 15 s

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function getJson<T>(r: Replica, s: HttpSession, path: string): Promise<T> {
  const res = await fetch(`${r.base}${path}`, { headers: s.headers });
  assert.equal(res.status, 200, `${r.name} GET ${path}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

async function upload(r: Replica, s: HttpSession, version: string, tar: Uint8Array): Promise<void> {
  const res = await fetch(`${r.base}/api/models?version=${version}&line=line-1`, {
    method: 'POST',
    headers: { ...s.headers, 'content-type': 'application/octet-stream' },
    body: tar,
  });
  assert.equal(res.status, 201, `upload ${version} through ${r.name}: ${await res.text()}`);
}

/** Counts desired-model commands per device for one rollout, as the broker delivers them. */
async function commandCounter(url: string) {
  const seen: DesiredModelMessage[] = [];
  const c = await mqtt.connectAsync(url, { clientId: 'test-observer', reconnectPeriod: 0, protocolVersion: 4 });
  c.on('message', (topic, payload) => {
    const r = fromPublication(topic, payload);
    if (r.kind === 'desiredModel') seen.push(r.message);
  });
  await c.subscribeAsync('linewatch/v1/+/+/+/cmd/model', { qos: 1 });
  return { seen, close: () => c.endAsync(true) };
}

const POLICY = {
  canaryDevices: 1,
  wavePercent: 100,
  observeS: 4,
  minFrames: 30,
  minWaveIntervalS: 0,
  minBaselineFrames: 50,
  healthGraceS: 0.6,
};

async function approve(r: Replica, s: HttpSession, version: string): Promise<string> {
  const res = await fetch(`${r.base}/api/models/${version}/approve`, {
    method: 'POST',
    headers: { ...s.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ policy: POLICY }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { rolloutId: string }).rolloutId;
}

/** Polls the rollout through replica `r` until `done` holds; fails at once when it ends another way (bounded). */
async function untilRollout(
  r: Replica,
  s: HttpSession,
  id: string,
  done: (x: RolloutDetailBody) => boolean,
  timeoutMs: number,
): Promise<RolloutDetailBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const x = await getJson<RolloutDetailBody>(r, s, `/api/rollouts/${id}`);
    if (done(x)) return x;
    const log = x.decisions.map((d) => `  ${d.at} ${d.action}: ${d.reason}`).join('\n');
    assert.ok(Date.now() < deadline, `timed out (${x.rollout.state}):\n${log}`);
    assert.ok(!['rolling-back', 'rolled-back', 'aborted'].includes(x.rollout.state), `${x.rollout.state}:\n${log}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Simulated agents on the shared broker, running v1. */
async function simFleet(set: ReplicaSet, fleet: TestDevice[], keys: ReturnType<typeof makeKeys>): Promise<SimAgent[]> {
  const imgs = await images();
  return fleet.map(
    (d) =>
      new SimAgent({
        mqttUrl: set.mqttUrl,
        device: { ...d, secret: null },
        trustedKeys: [keys.publicKey],
        version: 'v1',
        // The candidate flags like its parent: the flag-rate gate leaves out the flags of the window no engine
        // counted frames in (the dead leader's last renewal → B resuming), so the kill does not inflate its rate.
        flagRate: () => 0.02,
        fps: 40,
        images: imgs,
      }),
  );
}

/** (sequence, rows) of one device's stored events. */
function storedSequences(set: ReplicaSet, deviceId: string) {
  return set.query<{ sequence: number; n: string }>(
    'SELECT "sequence", COUNT(*) AS n FROM "Event" WHERE "deviceId" = $1 GROUP BY "sequence" ORDER BY "sequence"',
    [deviceId],
  );
}

test('two replicas on one PostgreSQL, Mosquitto and S3', { skip: REPLICAS_SKIP, timeout: 300_000 }, async (t) => {
  const keys = makeKeys();
  let streamDevice: TestDevice | null = null;
  const fleet: TestDevice[] = [];
  const set: ReplicaSet = await startReplicas({
    count: 1,
    env: process.env,
    trustedKeys: [keys.pem],
    config: { rollouts: { tickMs: 200 } },
    seed: async (store) => {
      streamDevice = await provision(store, 'stream-1', 'line-1', 'plant-a');
      for (let i = 0; i < 3; i++) fleet.push(await provision(store, `dev-${i}`, 'line-1', 'plant-a'));
    },
  });
  // Last in, first out: MQTT clients end while the broker still runs (node:test runs t.after hooks in registration
  // order, and a client ended after set.close() stopped Mosquitto waits for acks of its in-flight QoS 1 publishes
  // that never come: the test then ends 'cancelled', its promise pending with nothing left in the event loop).
  const teardown: Array<() => Promise<void>> = [];
  t.after(async () => {
    try {
      for (const stop of teardown.reverse()) await stop();
    } finally {
      await set.close();
    }
  });
  const a = set.replicas[0]!;
  const dev = streamDevice!;
  const session = await httpLogin(a.base, set.admin);
  const v1 = stubPackage(keys.privateKey, keys.publicKey, '1.0.1', 1);
  const first = new EventStream({
    device: dev,
    mqttPort: set.mqttPort,
    first: 1,
    total: 1,
    window: 1,
    resendAfterMs: 3000,
  });
  let leasesOfA = new Set<string>();

  await t.test('A alone: ingests an event, takes an upload and every leader lease', async () => {
    await first.start();
    await waitFor(() => first.done, 20_000, 'the first event acked by A');
    await first.stop();
    await upload(a, session, 'v1', v1);
    const held = await untilLeasesHeld(set, new Set(), 20_000);
    leasesOfA = new Set(held.map((l) => l.holder));
    assert.equal(leasesOfA.size, 1, `one holder for every lease: ${JSON.stringify(held)}`);
  });

  const b = await set.add('B');

  await t.test('an event ingested by A is viewable with its frame through B', async () => {
    const list = await getJson<{ events: Array<{ id: string; sequence: number }> }>(
      b,
      session,
      `/api/events?deviceId=${dev.id}`,
    );
    assert.equal(list.events.length, 1);
    const res = await fetch(`${b.base}/api/events/${list.events[0]!.id}/frame`, { headers: session.headers });
    assert.equal(res.status, 200);
    assert.equal(sha(new Uint8Array(await res.arrayBuffer())), sha((await images()).jpeg), 'the frame A stored');
  });

  await t.test('a package uploaded through A downloads through B (session and signed link)', async () => {
    const viaSession = await fetch(`${b.base}/api/models/v1/package`, { headers: session.headers });
    assert.equal(viaSession.status, 200);
    assert.equal(sha(new Uint8Array(await viaSession.arrayBuffer())), sha(v1));
    // A link as replica A mints it (same registry.urlSecret): verified by B, no session.
    const q = new DownloadTokens(set.secrets.urlSecret, 60, systemClock).sign('v1', 'dev-0');
    const link = `${b.base}/api/models/v1/package?device=${q.device}&exp=${q.exp}&sig=${q.sig}`;
    const viaLink = await fetch(link, { headers: { range: 'bytes=0-99' } });
    assert.equal(viaLink.status, 206);
    assert.ok(Buffer.from(await viaLink.arrayBuffer()).equals(v1.subarray(0, 100)), 'the first 100 bytes');
  });

  // --- A is killed -9 while events stream and a rollout started under A observes its canary ------------------
  const agents = await simFleet(set, fleet, keys);
  const counter = await commandCounter(set.mqttUrl);
  const stream = new EventStream({
    device: dev,
    mqttPort: set.mqttPort,
    first: 2,
    total: STREAM,
    window: 16,
    resendAfterMs: 3000,
    gapMs: 5,
  });
  teardown.push(async () => {
    await stream.stop();
    await counter.close();
    await Promise.all(agents.map((x) => x.stop()));
  });
  let rolloutId = '';
  let killedAt = 0;
  let unackedAtKill: string[] = [];

  await t.test('kill -9 A while events stream and its rollout observes the canary', async () => {
    await Promise.all(agents.map((x) => x.start()));
    await waitFor(() => agents.every((x) => x.framesSent > 60), 20_000, 'agents scoring');
    await upload(a, session, 'v2', stubPackage(keys.privateKey, keys.publicKey, '1.0.2', 2));
    await new Promise((r) => setTimeout(r, 1500)); // a baseline of v1 scores
    // Approved through B, which does not lead: A's engine starts the rollout (handed over through the database).
    rolloutId = await approve(b, session, 'v2');
    const [cmd] = await set.store.rolloutCommands.recent(1);
    assert.deepEqual([cmd?.command.kind, cmd?.state, cmd?.rolloutId], ['create', 'done', rolloutId]);
    assert.ok(leasesOfA.has(cmd?.appliedBy ?? ''), `applied by the leader A, not ${cmd?.appliedBy}`);
    await stream.start();
    // Kill while the canary is live and observed, and events are in flight.
    await untilRollout(b, session, rolloutId, (r) => (r.rollout.counts.live ?? 0) >= 1, 30_000);
    await waitFor(() => stream.acked >= KILL_AFTER, 30_000, `${KILL_AFTER} events acked before the kill`);
    unackedAtKill = [...stream.pub.pending.keys()];
    killedAt = Date.now();
    await set.kill(a);
    assert.equal(a.proc.child.signalCode, 'SIGKILL');
  });

  await t.test('B takes every leader lease over within 15 s', async () => {
    const held = await untilLeasesHeld(set, leasesOfA, TAKEOVER_MAX_MS);
    t.diagnostic(`takeover after ${Date.now() - killedAt} ms: ${held.map((l) => `${l.name}@${l.fence}`).join(' ')}`);
    assert.ok(
      held.every((l) => l.fence >= 2),
      'a takeover raises the fence',
    );
  });

  await t.test('every event published around the kill is stored exactly once, by B after the kill', async () => {
    await waitFor(() => stream.done, 60_000, `all ${STREAM} events acked (acked ${stream.acked})`);
    assert.ok(unackedAtKill.length > 0, 'the kill hit events in flight (else this proves nothing)');
    for (const id of unackedAtKill) assert.ok(stream.pub.acked.has(id), `${id} (in flight at the kill) acked`);
    const rows = await storedSequences(set, dev.id);
    assert.deepEqual(
      rows.map((r) => r.sequence),
      Array.from({ length: STREAM + 1 }, (_, i) => i + 1),
      'every sequence stored',
    );
    assert.deepEqual(
      rows.filter((r) => Number(r.n) !== 1),
      [],
      'no (device, sequence) stored twice',
    );
    t.diagnostic(`in flight at the kill: ${unackedAtKill.length}, publishes: ${stream.pub.publishes}`);
  });

  await t.test('the rollout started under A completes under B; one command per device per wave', async () => {
    const r = await untilRollout(b, session, rolloutId, (x) => x.rollout.state === 'completed', 60_000);
    assert.ok(
      r.decisions.some((d) => d.action === 'resumed' && Date.parse(d.at) >= killedAt),
      'B resumed it',
    );
    assert.ok(agents.every((x) => x.version === 'v2'));
    const mine = counter.seen.filter((m) => m.rolloutId === rolloutId && !m.rollback);
    const perDevice = new Map<string, number>();
    for (const m of mine) perDevice.set(m.device, (perDevice.get(m.device) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(perDevice), { 'dev-0': 1, 'dev-1': 1, 'dev-2': 1 });
    assert.ok(
      (await leases(set)).every((l) => !leasesOfA.has(l.holder)),
      'A holds nothing',
    );
  });
});
