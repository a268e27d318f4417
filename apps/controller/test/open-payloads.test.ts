/**
 * One release of compatibility for open payloads (protocol 2, JSON): an agent from before it (protocol 1, envelopes
 * only, no protocolVersion in its birth) and a new one run side by side against one controller. Both are ingested
 * (births, statuses, scores, events), and each gets its acks and its desiredModel in the form it reads — the old
 * agent never receives a JSON payload it could not parse.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toPublication } from '@linewatch/protocol';
import { PeerProtocols } from '../src/broker/peer-forms.js';
import { images } from './helpers/messages.js';
import { provision } from './helpers/mqtt.js';
import { rolloutFixture } from './helpers/rollout-fixture.js';
import { SimAgent } from './helpers/sim-agent.js';

async function until(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('an old (envelope) agent and a new (JSON) agent side by side: both ingested, each answered in its own form', async () => {
  const f = await rolloutFixture({ agents: 0, flagRate: () => 0, build: { overrides: { rollouts: { tickMs: 200 } } } });
  const agents: SimAgent[] = [];
  try {
    await f.addCandidate('v2', 2, {});
    await f.app.registry.setStatus('v2', 'deployed');
    const imgs = await images();
    const join = async (id: string, protocol: 1 | 2): Promise<SimAgent> => {
      const d = await provision(f.app.ctx.store, id, 'line-1', 'plant-a');
      const a = new SimAgent({
        mqttUrl: `mqtt://127.0.0.1:${f.app.broker!.port}`,
        device: d,
        trustedKeys: [f.keys.publicKey],
        version: 'v1',
        flagRate: () => 0.5,
        fps: 10,
        images: imgs,
        protocol,
      });
      agents.push(a);
      await a.start();
      return a;
    };
    const old = await join('dev-old', 1);
    const neu = await join('dev-new', 2);

    // Commands: the line's live model reaches both (line convergence on birth); each installs it, so each read it.
    await until(() => old.version === 'v2' && neu.version === 'v2', 'both agents converged to v2');
    // Acks: events of both agents are stored and acked.
    await until(() => old.acked.size >= 3 && neu.acked.size >= 3, 'acks for both agents');

    assert.equal(old.unreadable, 0, 'the old agent never got a JSON payload');
    assert.deepEqual(new Set(old.forms['desiredModel']), new Set(['envelope']));
    assert.deepEqual(new Set(old.forms['ack']), new Set(['envelope']));
    assert.deepEqual(new Set(neu.forms['desiredModel']), new Set(['json']));
    assert.deepEqual(new Set(neu.forms['ack']), new Set(['json']));

    const store = f.app.ctx.store;
    for (const a of [old, neu]) {
      const row = await store.fleet.get(a.id);
      assert.ok(row?.online, `${a.id} online (birth ingested)`);
      const events = await store.events.list({ limit: 100, deviceId: a.id });
      assert.ok(events.length >= 3, `${a.id}: ${events.length} events stored`);
      assert.ok(
        events.every((e) => e.modelVersion === 'v1' || e.modelVersion === 'v2'),
        'events carry the agent model versions',
      );
    }
    const ingested = await f.app.metrics.ingestMessages.get();
    const invalid = ingested.values.filter((v) => v.labels.result === 'invalid');
    assert.deepEqual(invalid, [], 'no message of either agent was rejected');
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await f.close();
  }
});

test('PeerProtocols: a device is protocol 1 until it shows otherwise; its birth decides; commands adapt, others pass', () => {
  const peers = new PeerProtocols();
  const addr = { site: 's', line: 'l', device: 'd-1' };
  const ack = toPublication('ack', addr, { device: 'd-1', eventIds: ['abcdefgh'], ts: 1 });
  const asBuffer = (p: { payload: Uint8Array }) => Buffer.from(p.payload);
  assert.equal(peers.versionOf('d-1'), undefined);
  assert.equal(asBuffer(peers.adapt(ack)).subarray(0, 2).toString(), 'LW', 'unknown device: envelope');

  const birth = (protocolVersion?: number, wire: 'json' | 'envelope' = 'json') =>
    toPublication(
      'birth',
      addr,
      {
        device: 'd-1',
        bdSeq: 1,
        ts: 1,
        agentVersion: 'a',
        modelVersion: null,
        executionProvider: 'cpu',
        ...(protocolVersion !== undefined && { protocolVersion }),
        cameras: [],
      },
      { wire },
    );
  peers.observe(birth(2).topic, asBuffer(birth(2)));
  assert.equal(peers.versionOf('d-1'), 2);
  assert.equal(peers.adapt(ack), ack, 'protocol 2: the JSON ack passes unchanged');

  peers.observe(birth(undefined, 'envelope').topic, asBuffer(birth(undefined, 'envelope')));
  assert.equal(peers.versionOf('d-1'), 1, 'an envelope birth without protocolVersion: protocol 1');
  const adapted = peers.adapt(ack);
  assert.equal(asBuffer(adapted).subarray(0, 2).toString(), 'LW');
  assert.deepEqual({ ...adapted, payload: null }, { ...ack, payload: null }, 'topic, QoS and retain unchanged');

  // Any JSON message but an event says protocol 2; an event (an envelope from every agent) says nothing.
  const status = toPublication('status', addr, {
    device: 'd-1',
    bdSeq: 1,
    ts: 1,
    state: 'running',
    modelVersion: null,
    cameras: [],
  });
  peers.observe(status.topic, asBuffer(status));
  assert.equal(peers.versionOf('d-1'), 2);
  const threshold = toPublication(
    'threshold',
    { ...addr, camera: 'c' },
    { camera: 'c', threshold: 1, revision: 1, ts: 1 },
  );
  assert.equal(peers.adapt(threshold), threshold);
  // Not a command (agent→controller), a cleared retained topic, a foreign topic: passed as they are; a foreign
  // topic teaches nothing.
  peers.observe(birth(undefined, 'envelope').topic, asBuffer(birth(undefined, 'envelope')));
  peers.observe('other/topic', Buffer.from('{"v":2}'));
  assert.equal(peers.versionOf('d-1'), 1);
  for (const p of [status, { ...threshold, payload: new Uint8Array(0) }, { ...ack, topic: 'other/topic' }]) {
    assert.equal(peers.adapt(p), p);
  }
});
