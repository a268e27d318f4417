/**
 * The `replicas` run of the controller bench (issue 18): two controller processes on one throw-away PostgreSQL,
 * one Mosquitto (ingest split by an MQTT 5 shared subscription) and one S3 server (s3rver), set up by the same
 * harness as test/replicas.test.ts. Phases, each bounded by `seconds`:
 *
 * 1. scores: QoS 0 at an offered rate over both replicas; counted = what reached the shared database
 *    (ScoreAggregate.count summed after a flush), per second of offering.
 * 2. events: closed loop with an in-flight window per agent (bench/agents.ts eventLoad); acked/s and publish→ack
 *    p50/p99 (the ack follows the commit, so this bounds publish→commit from above).
 * 3. failover: agents stream events like the real agent's sender (window, resend of the unacked after
 *    `resendAfterMs`); half-way the leader replica is killed -9. failoverStallS = the longest gap between two
 *    consecutive acks (of any agent) from the kill on, i.e. how long ingest committed nothing; leaderTakeoverS = kill
 *    → every leader lease held by the survivor; then every (device, seq) is counted in the database: lost and
 *    duplicate events.
 */
import type mqtt from 'mqtt';
import { EventStream } from '../test/helpers/event-stream.js';
import { provision, type TestDevice } from '../test/helpers/mqtt.js';
import { REPLICAS_SKIP, leases, startReplicas, type ReplicaSet } from '../test/helpers/replicas.js';
import { connectAgents, eventLoad, percentile, scoreLoad } from './agents.js';

export interface ReplicasBenchOptions {
  agents: number;
  seconds: number;
  scoreRate: number;
  window: number;
  /** How long the failover phase's agents wait for an ack before sending again (the agent's outbox.resendAfterMs). */
  resendAfterMs: number;
  images: { jpeg: Uint8Array; map: Uint8Array };
}

const FLUSH_MS = 500;
const FAILOVER_SEQ0 = 1_000_000; // failover-phase sequences, clear of the event phase's

async function scoreRows(set: ReplicaSet): Promise<number> {
  const [r] = await set.query<{ n: string | null }>('SELECT SUM("count") AS n FROM "ScoreAggregate"');
  return Number(r?.n ?? 0);
}

async function scorePhase(set: ReplicaSet, clients: mqtt.MqttClient[], o: ReplicasBenchOptions) {
  const before = await scoreRows(set);
  const offered = await scoreLoad(clients, o.scoreRate, o.seconds * 1000);
  // QoS 0 in flight lands, then each replica's aggregator flushes (every FLUSH_MS) into the shared table.
  await new Promise((r) => setTimeout(r, 1000 + 3 * FLUSH_MS));
  const counted = (await scoreRows(set)) - before;
  return { scoreMsgsPerSec: Math.round(counted / o.seconds), scoreMsgsOffered: offered, scoreMsgsCounted: counted };
}

async function eventPhase(clients: mqtt.MqttClient[], o: ReplicasBenchOptions) {
  const ev = await eventLoad(clients, o.images, { window: o.window, ms: o.seconds * 1000, seq0: 0 });
  const sorted = ev.latenciesMs.sort((a, b) => a - b);
  return {
    eventsPerSec: +(ev.acked / o.seconds).toFixed(1),
    eventsAcked: ev.acked,
    p50Ms: +percentile(sorted, 0.5).toFixed(1),
    p99Ms: +percentile(sorted, 0.99).toFixed(1),
  };
}

/** Kill → every lease held, unexpired, by a holder other than the dead one's (polled every 100 ms, bounded). */
async function takeover(set: ReplicaSet, deadHolders: Set<string>, killedAt: number, limitMs: number) {
  while (Date.now() - killedAt < limitMs) {
    const rows = await leases(set).catch(() => []);
    const now = Date.now();
    if (rows.length > 0 && rows.every((l) => !deadHolders.has(l.holder) && l.expiresAt.getTime() > now))
      return +((Date.now() - killedAt) / 1000).toFixed(2);
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

function longestGapS(times: number[], from: number): number {
  let gap = 0;
  let prev = from;
  for (const t of times) {
    if (t < from) continue;
    gap = Math.max(gap, t - prev);
    prev = t;
  }
  return +(gap / 1000).toFixed(2);
}

async function storedCounts(set: ReplicaSet, devices: TestDevice[], perDevice: number) {
  const rows = await set.query<{ deviceId: string; sequence: number; n: string }>(
    'SELECT "deviceId", "sequence", COUNT(*) AS n FROM "Event" WHERE "sequence" >= $1 GROUP BY "deviceId", "sequence"',
    [FAILOVER_SEQ0],
  );
  const stored = rows.filter((r) => r.sequence < FAILOVER_SEQ0 + perDevice);
  return {
    lostEvents: devices.length * perDevice - stored.length,
    duplicateEvents: stored.reduce((s, r) => s + Number(r.n) - 1, 0),
  };
}

async function failoverPhase(set: ReplicaSet, devices: TestDevice[], o: ReplicasBenchOptions) {
  // 10 events/s per agent for ~`seconds`: the kill lands mid-stream, with events in flight at both replicas.
  const perDevice = o.seconds * 10;
  const streams = devices.map(
    (device) =>
      new EventStream({
        device,
        mqttPort: set.mqttPort,
        first: FAILOVER_SEQ0,
        total: perDevice,
        window: o.window,
        resendAfterMs: o.resendAfterMs,
        gapMs: 100,
        images: o.images,
      }),
  );
  const deadHolders = new Set((await leases(set)).map((l) => l.holder));
  const leader = set.replicas[0]!; // started first, so it took the leases
  try {
    await Promise.all(streams.map((s) => s.start()));
    await new Promise((r) => setTimeout(r, (o.seconds * 1000) / 2));
    const inFlight = streams.reduce((n, s) => n + s.pub.pending.size, 0);
    const killedAt = Date.now();
    await set.kill(leader);
    // No lease rows: this controller has no leader election to time.
    const leaderTakeoverS = deadHolders.size === 0 ? null : await takeover(set, deadHolders, killedAt, 60_000);
    const limit = Date.now() + o.seconds * 1000 + 3 * o.resendAfterMs + 10_000;
    while (!streams.every((s) => s.done) && Date.now() < limit) await new Promise((r) => setTimeout(r, 100));
    const acks = streams.flatMap((s) => s.ackTimes()).sort((a, b) => a - b);
    const slowest = Math.max(...streams.flatMap((s) => s.latencies()));
    return {
      failoverStallS: longestGapS(acks, killedAt),
      leaderTakeoverS,
      inFlightAtKill: inFlight,
      slowestEventS: +(slowest / 1000).toFixed(2),
      ...(await storedCounts(set, devices, perDevice)),
      failoverEvents: devices.length * perDevice,
    };
  } finally {
    await Promise.all(streams.map((s) => s.stop()));
  }
}

export async function runReplicas(o: ReplicasBenchOptions): Promise<Record<string, unknown>> {
  if (REPLICAS_SKIP) return { skipped: REPLICAS_SKIP };
  const devices: TestDevice[] = [];
  const set = await startReplicas({
    count: 2,
    env: process.env,
    s3InOwnProcess: true,
    config: { ingest: { flushIntervalMs: FLUSH_MS } },
    seed: async (store) => {
      for (let i = 0; i < o.agents; i++) devices.push(await provision(store, `bench-${i}`, 'line-1', 'bench'));
    },
  });
  let clients: mqtt.MqttClient[] = [];
  try {
    // The throw-away Mosquitto is anonymous: device auth/ACLs are the broker's job in external mode.
    clients = await connectAgents(
      set.mqttUrl,
      devices.map((d) => ({ id: d.id, secret: null })),
    );
    const scores = await scorePhase(set, clients, o);
    const events = await eventPhase(clients, o);
    await Promise.all(clients.map((c) => c.endAsync(true)));
    clients = [];
    const failover = await failoverPhase(set, devices, o);
    return { replicas: 2, resendAfterMs: o.resendAfterMs, ...scores, ...events, ...failover };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await set.close();
  }
}
