/**
 * Open payloads on the agent's side: line software with a plain MQTT client (mqtt.js, mosquitto_sub) reads scores and
 * verdicts as JSON text; the agent speaks MQTT 5 where the broker does (content type on every publication) and falls
 * back to 3.1.1 where it does not (aedes); it announces its protocol version in its birth and still understands a
 * protocol-1 controller's envelope commands.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { connectAsync } from 'mqtt';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { CONTENT_TYPES, PROTOCOL_VERSION, isMessage, toPublication } from '@linewatch/protocol';
import type { Publication } from '@linewatch/protocol';
import { build } from '../src/agent.js';
import type { Agent } from '../src/runtime.js';
import { aedesBroker, hasMosquitto, mosquittoBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { waitFor } from './helpers/controller.js';

const address = { site: 'plant-1', line: 'line-a', device: 'edge-1' };
const prefix = `linewatch/v1/${address.site}/${address.line}/${address.device}`;
const hasMosquittoSub = spawnSync('sh', ['-c', 'command -v mosquitto_sub']).status === 0;

interface Seen {
  topic: string;
  text: string;
  packet: IPublishPacket;
}

/** A line-software stand-in: a plain mqtt.js client that keeps what it receives as text. */
async function lineClient(url: string, protocolVersion: 4 | 5, filters: string[]): Promise<[MqttClient, Seen[]]> {
  const seen: Seen[] = [];
  const c = await connectAsync(url, { protocolVersion, reconnectPeriod: 0, clientId: `line-${Math.random()}` });
  c.on('message', (topic, payload, packet) => seen.push({ topic, text: payload.toString('utf8'), packet }));
  if (filters.length > 0) await c.subscribeAsync(filters, { qos: 1 });
  return [c, seen];
}

async function publish(c: MqttClient, p: Publication): Promise<void> {
  await c.publishAsync(p.topic, Buffer.from(p.payload), { qos: p.qos, retain: p.retain });
}

function startAgent(fx: Fixture, broker: TestBroker, name: string, threshold: number): Promise<Agent> {
  return build({
    config: fx.config({
      dataDir: `${fx.dir}/${name}`,
      broker: { url: broker.url, reconnectMs: 200 },
      cameras: [{ id: 'cam-1', threshold, source: { kind: 'synthetic', width: 48, height: 48, fps: 5 } }],
    }),
  });
}

/** `mosquitto_sub -C 1 -v -t filter`: the first message as (topic, parsed JSON); `poke` runs until it arrives. */
async function mosquittoSubOne(
  port: string,
  filter: string,
  poke: () => Promise<void>,
): Promise<{ topic: string; json: Record<string, unknown> }> {
  const args = ['-h', '127.0.0.1', '-p', port, '-V', 'mqttv5', '-C', '1', '-W', '30', '-v', '-t', filter];
  const sub = spawn('mosquitto_sub', args);
  let out = '';
  sub.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | null>((r) => sub.once('exit', (code) => r(code)));
  let done = false;
  void exited.then(() => (done = true));
  try {
    while (!done) {
      await poke();
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    sub.kill();
  }
  assert.equal(await exited, 0, `mosquitto_sub ${filter} exited with output: ${out}`);
  const line = out.trimEnd();
  const space = line.indexOf(' ');
  return { topic: line.slice(0, space), json: JSON.parse(line.slice(space + 1)) as Record<string, unknown> };
}

const verdict = {
  camera: 'cam-1',
  frame: 7,
  partId: 'SN-0042',
  ts: Date.now(),
  score: 0.7,
  threshold: 0.5,
  normalized: 1.4,
  verdict: 'anomalous' as const,
  modelVersion: '1.0.0+1',
  latencyMs: 12.5,
};

describe('aedes (MQTT 3.1.1 only)', () => {
  let fx: Fixture;
  let broker: TestBroker;
  before(async () => {
    fx = await fixture();
    broker = await aedesBroker();
    await broker.start();
  });
  after(async () => {
    await broker.stop();
    fx.cleanup();
  });

  test('the agent falls back to 3.1.1; birth (with protocolVersion) and scores are JSON a plain client parses; an envelope threshold (protocol-1 controller) still applies', async () => {
    const [line, seen] = await lineClient(broker.url, 4, [`${prefix}/birth`, `${prefix}/score/+`]);
    const agent = await startAgent(fx, broker, 'aedes', 1e6);
    agent.start();
    try {
      await waitFor('birth and a score', () => seen.some((s) => s.topic.includes('/score/')), 10_000);
      assert.equal(agent.link.mqttVersion, 4, 'aedes refused MQTT 5: the agent speaks 3.1.1');
      await new Promise((r) => setTimeout(r, 1000)); // several reconnect periods: a stray second connect would show
      assert.equal(seen.filter((s) => s.topic.endsWith('/birth')).length, 1, 'one connection, one birth');
      const birth = JSON.parse(seen.find((s) => s.topic.endsWith('/birth'))!.text) as Record<string, unknown>;
      assert.equal(birth['v'], PROTOCOL_VERSION);
      assert.equal(birth['kind'], 'birth');
      assert.equal(birth['protocolVersion'], PROTOCOL_VERSION);
      const score = JSON.parse(seen.find((s) => s.topic.includes('/score/'))!.text) as Record<string, unknown>;
      assert.deepEqual([score['v'], score['kind'], score['camera']], [2, 'score', 'cam-1']);
      assert.equal(typeof score['score'], 'number');

      const old = toPublication(
        'threshold',
        { ...address, camera: 'cam-1' },
        { camera: 'cam-1', threshold: 0.75, revision: 9, ts: Date.now() },
        { wire: 'envelope' },
      );
      await publish(line, old);
      await waitFor('envelope threshold applied', () => agent.pipeline.threshold('cam-1') === 0.75, 5000);
    } finally {
      await agent.stop();
      await line.endAsync();
    }
  });
});

describe(
  'mosquitto (MQTT 5)',
  { skip: hasMosquitto() ? false : 'mosquitto binary not found (apt-get install mosquitto)' },
  () => {
    let fx: Fixture;
    let broker: TestBroker;
    before(async () => {
      fx = await fixture();
      broker = await mosquittoBroker();
      await broker.start();
    });
    after(async () => {
      await broker.stop();
      await broker.stop();
      fx.cleanup();
    });

    test('the agent stays on MQTT 5: scores carry content type application/json, events the envelope type', async () => {
      const [line, seen] = await lineClient(broker.url, 5, [`${prefix}/score/+`, `${prefix}/event/+`]);
      const agent = await startAgent(fx, broker, 'mosq5', 0); // threshold 0: every frame is flagged
      agent.start();
      try {
        await waitFor(
          'a score and an event',
          () => ['/score/', '/event/'].every((k) => seen.some((s) => s.topic.includes(k))),
          15_000,
        );
        assert.equal(agent.link.mqttVersion, 5);
        const score = seen.find((s) => s.topic.includes('/score/'))!;
        assert.equal(score.packet.properties?.contentType, CONTENT_TYPES.json);
        assert.equal(score.packet.properties?.payloadFormatIndicator, true);
        assert.equal((JSON.parse(score.text) as { kind: string }).kind, 'score');
        const event = seen.find((s) => s.topic.includes('/event/'))!;
        assert.equal(event.packet.properties?.contentType, CONTENT_TYPES.envelope);
        assert.equal(Buffer.from(event.packet.payload).subarray(0, 2).toString('latin1'), 'LW');
      } finally {
        await agent.stop();
        await line.endAsync();
      }
    });

    test(
      'mosquitto_sub prints a score and a verdict as JSON lines that JSON.parse accepts',
      { skip: hasMosquittoSub ? false : 'mosquitto_sub not found (apt-get install mosquitto-clients)' },
      async () => {
        const port = new URL(broker.url).port;
        const [pub] = await lineClient(broker.url, 5, []);
        const agent = await startAgent(fx, broker, 'mosq-sub', 1e6);
        agent.start();
        try {
          const score = await mosquittoSubOne(port, 'linewatch/v1/+/+/+/score/+', async () => undefined);
          // The verdict as line software receives it from an agent: through the same encoder. Published until
          // mosquitto_sub (whose subscription time we cannot see) has it.
          const published = toPublication('verdict', { ...address, camera: 'cam-1' }, verdict);
          const got = await mosquittoSubOne(port, 'linewatch/v1/+/+/+/verdict/+', () => publish(pub, published));
          assert.equal(score.topic, `${prefix}/score/cam-1`);
          assert.deepEqual([score.json['v'], score.json['kind'], score.json['camera']], [2, 'score', 'cam-1']);
          assert.equal(got.topic, `${prefix}/verdict/cam-1`);
          // The agent's own verdict (when it publishes them) or the one published here: either is the JSON form.
          const { v, kind, ...fields } = got.json;
          assert.deepEqual([v, kind], [2, 'verdict']);
          assert.ok(isMessage('verdict', fields), JSON.stringify(got.json));
        } finally {
          await agent.stop();
          await pub.endAsync();
        }
      },
    );
  },
);
