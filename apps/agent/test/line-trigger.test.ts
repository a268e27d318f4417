import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { build } from '../src/agent.js';
import { frameSource, parseConfig } from '../src/config.js';
import { isAgentError } from '../src/errors.js';
import { aedesBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { waitFor } from './helpers/controller.js';
import { LineClient } from './helpers/line-client.js';

const address = { site: 'plant-1', line: 'line-a', device: 'edge-1' };
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

const synthetic = { kind: 'synthetic', width: 32, height: 32, fps: 20 } as const;

async function agentWithTrigger(dir: string, trigger: Record<string, unknown> = {}) {
  const agent = await build({
    config: fx.config({
      dataDir: `${fx.dir}/${dir}`,
      broker: { url: broker.url },
      normalSampleIntervalS: 0,
      cameras: [
        { id: 'free', source: synthetic },
        { id: 'gate', source: { kind: 'trigger', source: synthetic, ...trigger } },
      ],
    }),
  });
  agent.start();
  return agent;
}

function codeOf(e: unknown): string {
  return isAgentError(e) ? e.code : String(e);
}

test('an MQTT capture command scores one frame of the trigger camera, tagged with the part id, on the verdict topic', async () => {
  const client = new LineClient(broker.url, address);
  await client.start();
  const agent = await agentWithTrigger('mqtt');
  try {
    await waitFor('agent connected', () => agent.link.connected, 10_000);
    await waitFor('free camera verdicts', () => client.of('free').length >= 3, 10_000);
    assert.equal(client.of('gate').length, 0, 'a trigger camera scores nothing unasked');
    await client.capture('gate', 'P-0001');
    await client.capture('gate', 'P-0002');
    await client.capture('gate');
    await waitFor('three gate verdicts', () => client.of('gate').length >= 3, 15_000);
    await new Promise((r) => setTimeout(r, 300)); // nothing more comes
    const gate = client.of('gate');
    assert.deepEqual(
      gate.map((v) => v.partId),
      ['P-0001', 'P-0002', undefined],
      'one verdict per capture, in order, each with its part id',
    );
    assert.equal(new Set(gate.map((v) => v.frame)).size, 3, 'each capture got its own frame');
    assert.ok(client.of('free').every((v) => v.partId === undefined));
    assert.equal(agent.line.cameras().find((c) => c.id === 'gate')?.trigger, true);
    const c = agent.line.counters('gate');
    assert.equal(c.ok + c.anomalous + c.uncertain, 3);
  } finally {
    await agent.stop();
    await client.stop();
  }
});

test('LinePort.capture resolves with the frame verdict; refusals are coded', async () => {
  const agent = await agentWithTrigger('port', { maxQueued: 2 });
  try {
    const parts = ['A-1', 'A-2'];
    const verdicts = await Promise.all(parts.map((partId) => agent.line.capture({ camera: 'gate', partId })));
    assert.deepEqual(
      verdicts.map((v) => v.partId),
      parts,
    );
    assert.ok(verdicts[1]!.frame > verdicts[0]!.frame, 'served in order, one frame each');
    assert.equal(agent.line.lastVerdict('gate')?.partId, 'A-2');
    await assert.rejects(agent.line.capture({ camera: 'free' }), (e) => codeOf(e) === 'LW_AGENT_NOT_TRIGGER_CAMERA');
    await assert.rejects(agent.line.capture({ camera: 'nope' }), (e) => codeOf(e) === 'LW_AGENT_UNKNOWN_CAMERA');
    // One capture is served, two wait: a fourth finds the queue full.
    const burst = [1, 2, 3, 4].map((i) => agent.line.capture({ camera: 'gate', partId: `B-${i}` }));
    const settled = await Promise.allSettled(burst);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'rejected'],
    );
    assert.equal(codeOf((settled[3] as PromiseRejectedResult).reason), 'LW_AGENT_CAPTURE_BUSY');
  } finally {
    await agent.stop();
  }
});

test('a capture whose camera delivers no frame in time times out, coded; stopping fails a waiting capture', async () => {
  const agent = await build({
    config: fx.config({
      dataDir: `${fx.dir}/timeout`,
      normalSampleIntervalS: 0,
      broker: { url: broker.url },
      cameras: [
        // A camera that scores frames: an agent whose model never scored one does not let the process exit (a
        // known issue of the threaded runner, independent of trigger cameras).
        { id: 'free', source: synthetic },
        { id: 'gate', source: { kind: 'trigger', timeoutMs: 300, source: { ...synthetic, fps: 0.5 } } },
      ],
    }),
  });
  agent.start();
  try {
    // The inner camera delivers its first frame at once, then one every 2 s: the first capture waits past 300 ms.
    await new Promise((r) => setTimeout(r, 200));
    await assert.rejects(agent.line.capture({ camera: 'gate', partId: 'late' }), (e) => {
      return codeOf(e) === 'LW_AGENT_CAPTURE_TIMEOUT';
    });
    const pending = agent.line.capture({ camera: 'gate', partId: 'stop' }).then(
      () => 'answered',
      (e: unknown) => codeOf(e),
    );
    await agent.stop();
    assert.equal(await pending, 'LW_AGENT_CAPTURE_FAILED', 'stopping fails a waiting capture at once');
  } finally {
    await agent.stop();
  }
});

test("the README's trigger camera example is a valid camera config", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Trigger cameras'));
  const block = /```json\n([\s\S]*?)\n```/.exec(section);
  assert.ok(block, 'the section has a json block');
  const camera = JSON.parse(block[1]!) as unknown;
  const cfg = parseConfig({ ...address, model: { trustedKeyPath: 'k.pem' }, cameras: [camera] });
  const source = cfg.cameras[0]!.source;
  assert.equal(source.kind, 'trigger');
  assert.equal(frameSource(source).kind, 'rtsp');
});
