import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { build } from '../src/agent.js';
import type { Agent } from '../src/agent.js';
import { parseConfig } from '../src/config.js';
import { judge, normalizedScore, VerdictThrottle } from '../src/line/verdict.js';
import { aedesBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { waitFor } from './helpers/controller.js';
import { LineClient } from './helpers/line-client.js';
import { scriptedFactory } from './helpers/scripted-source.js';
import { uniformScore } from './helpers/tiny-model.js';

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

test('judge: without a band the verdict is the flagging decision; a band makes its inside uncertain', () => {
  assert.deepEqual(judge(0.6, 0.5), { normalized: 1.2, verdict: 'anomalous' });
  assert.deepEqual(judge(0.5, 0.5), { normalized: 1, verdict: 'ok' }, 'score = threshold is not flagged');
  const band = [0.9, 1.1] as const;
  assert.equal(judge(0.44, 0.5, band).verdict, 'ok');
  assert.equal(judge(0.45, 0.5, band).verdict, 'uncertain');
  assert.equal(judge(0.55, 0.5, band).verdict, 'uncertain');
  assert.equal(judge(0.56, 0.5, band).verdict, 'anomalous');
  assert.equal(normalizedScore(0, 0), 0, 'threshold 0: nothing scored is normal');
  assert.equal(normalizedScore(0.1, 0), 1e12, 'threshold 0: any score is beyond it (capped for the schema)');
});

test('throttle: at most one verdict per interval per camera, a change of verdict always passes', () => {
  let t = 0;
  const th = new VerdictThrottle(
    (cam) => (cam === 'free' ? 1000 : 0),
    () => t,
  );
  assert.equal(th.admit('free', 'ok'), true);
  t = 500;
  assert.equal(th.admit('free', 'ok'), false);
  assert.equal(th.admit('free', 'anomalous'), true, 'a change is published at once');
  assert.equal(th.admit('free', 'anomalous'), false);
  assert.equal(th.admit('other', 'ok'), true, 'cameras are independent');
  assert.equal(th.admit('other', 'ok'), true, 'interval 0: every verdict');
  t = 1500;
  assert.equal(th.admit('free', 'anomalous'), true, 'interval over');
});

test('config: the uncertainty band must contain 1.0; the API binds loopback only', () => {
  const base = { ...address, model: { trustedKeyPath: 'k.pem' } };
  assert.throws(
    () => parseConfig({ ...base, integration: { verdicts: { uncertainBand: [1.1, 1.3] } } }),
    /LW_AGENT_CONFIG_INVALID/,
  );
  assert.throws(() => parseConfig({ ...base, integration: { api: { host: '0.0.0.0' } } }), /LW_AGENT_CONFIG_INVALID/);
  const cfg = parseConfig(base, { LW_AGENT_API_TOKEN: 'a-token-of-16-chars' });
  assert.equal(cfg.integration.api.enabled, false, 'off unless asked for');
  assert.equal(cfg.integration.api.host, '127.0.0.1');
  assert.equal(cfg.integration.api.token, 'a-token-of-16-chars', 'token from the environment');
  assert.equal(cfg.integration.verdicts.enabled, true);
  assert.ok(Object.isFrozen(cfg.integration.verdicts));
});

/** Grey levels with known scores (threshold 0.5 from the package): ok, uncertain (n ≈ 0.996), anomalous (n = 2). */
const OK = 128;
const UNSURE = 191;
const BAD = 255;

interface Scored {
  readonly frame: number;
  readonly anomalous: boolean;
  /** The MQTT link was up when the frame was scored (its verdict could be published). */
  readonly online: boolean;
}

/** An agent whose cameras play `scripts`; `scored` records every scored frame. */
async function startAgent(dir: string, overrides: Record<string, unknown>, scripts: Record<string, number[]>) {
  const scored: Scored[] = [];
  let online = (): boolean => false;
  const agent = await build({
    config: fx.config({
      dataDir: `${fx.dir}/${dir}`,
      broker: { url: broker.url },
      normalSampleIntervalS: 0,
      ...overrides,
    }),
    sourceFactory: scriptedFactory(scripts),
    onScored: (_cam, frame, result) =>
      scored.push({ frame: frame.index, anomalous: result.score > 0.5, online: online() }),
  });
  online = () => agent.link.connected;
  agent.start();
  return { agent, scored };
}

async function stopAll(agent: Agent, client: LineClient): Promise<void> {
  await agent.stop();
  await client.stop();
}

test('every scored frame yields one verdict on the topic: ok, uncertain and anomalous, counted per camera', async () => {
  const client = new LineClient(broker.url, address);
  await client.start();
  const { agent, scored } = await startAgent(
    'verdicts',
    {
      integration: { verdicts: { uncertainBand: [0.9, 1.1] } },
      cameras: [{ id: 'cam-1', source: { kind: 'synthetic', width: 32, height: 32, fps: 20 } }],
    },
    { 'cam-1': [OK, UNSURE, BAD] },
  );
  try {
    await waitFor('verdicts of each kind', () => new Set(client.of('cam-1').map((v) => v.verdict)).size === 3, 15_000);
    await agent.stop();
    await new Promise((r) => setTimeout(r, 200)); // the last QoS 1 publications arrive
    const got = client.of('cam-1');
    const frames = got.map((v) => v.frame);
    assert.equal(new Set(frames).size, frames.length, 'at most one verdict per frame');
    for (const v of got) {
      const level = [OK, UNSURE, BAD][v.frame % 3]!;
      const want = level === OK ? 'ok' : level === UNSURE ? 'uncertain' : 'anomalous';
      assert.equal(v.verdict, want, `frame ${v.frame}`);
      assert.ok(Math.abs(v.score - uniformScore(level, 1)) < 1e-3, `score of frame ${v.frame}`);
      assert.equal(v.threshold, 0.5);
      assert.ok(Math.abs(v.normalized - v.score / 0.5) < 1e-9);
      assert.equal(v.modelVersion, '1.0.0+1');
      assert.equal(v.partId, undefined, 'free-running frames carry no part id');
      assert.ok(v.latencyMs >= 0 && v.latencyMs < 60_000);
    }
    const counters = agent.line.counters('cam-1');
    assert.equal(counters.ok + counters.uncertain + counters.anomalous, scored.length, 'every scored frame counted');
    const online = scored.filter((s) => s.online).map((s) => s.frame);
    assert.deepEqual(frames, online, 'every frame scored while connected published (no throttle), in frame order');
    assert.equal(agent.line.lastVerdict('cam-1')?.frame, Math.max(...frames));
  } finally {
    await stopAll(agent, client);
  }
});

test('a throttled camera publishes at most one verdict per interval, but every change of verdict', async () => {
  const client = new LineClient(broker.url, address);
  await client.start();
  const { agent, scored } = await startAgent(
    'throttle',
    {
      integration: { verdicts: { minIntervalMs: 60_000 } },
      cameras: [{ id: 'cam-1', source: { kind: 'synthetic', width: 32, height: 32, fps: 20 } }],
    },
    { 'cam-1': [OK, OK, OK, OK, OK, OK, OK, BAD] },
  );
  try {
    await waitFor('three anomalous frames scored', () => scored.filter((s) => s.anomalous).length >= 3, 15_000);
    await agent.stop();
    await new Promise((r) => setTimeout(r, 200));
    const published = new Set(client.of('cam-1').map((v) => v.frame));
    // The interval (60 s) never ends in this test: exactly the first frame and every change of verdict go out.
    const want = scored
      .filter((s, i) => s.online && (i === 0 || s.anomalous !== scored[i - 1]!.anomalous))
      .map((s) => s.frame);
    assert.deepEqual(
      [...published].sort((a, b) => a - b),
      want,
    );
    assert.ok(scored.length > published.size, 'some verdicts were throttled');
    const c = agent.line.counters('cam-1');
    assert.equal(c.ok + c.anomalous, scored.length, 'counters count throttled verdicts too');
  } finally {
    await stopAll(agent, client);
  }
});
