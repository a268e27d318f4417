import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { build } from '../src/agent.js';
import { aedesBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { TestController, waitFor } from './helpers/controller.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';

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

test('CUDA configured first but unavailable: the agent serves on CPU and reports degraded with the reason in status and health', async (t) => {
  const ctrl = new TestController(broker.url, { site: 'plant-1', line: 'line-a', device: 'edge-1' });
  await ctrl.start();
  const agent = await build({
    config: fx.config({
      broker: { url: broker.url },
      inference: {
        executionProviders: ['cuda', 'cpu'],
        intraOpThreads: 1,
        warmUpRuns: 1,
        tensorrt: { fp16: true, engineCacheDir: fx.dir },
      },
    }),
  });
  agent.start();
  try {
    if (agent.pipeline.model.provider === 'cuda') {
      t.diagnostic('CUDA opened on this machine: the fallback path is not exercised');
      assert.equal(agent.problems.has('provider'), false);
      return;
    }
    assert.equal(agent.pipeline.model.provider, 'cpu');
    assert.equal(agent.problems.get('provider')?.code, 'LW_AGENT_PROVIDER_FALLBACK');
    assert.match(agent.problems.get('provider')!.message, /^cuda unavailable \(.+\); running on cpu$/);
    await waitFor('degraded status and health', () => ctrl.statuses.length > 0 && ctrl.health.length > 0, 8000);
    const status = ctrl.statuses.at(-1)!;
    assert.equal(status.state, 'degraded');
    assert.match(status.note ?? '', /provider: LW_AGENT_PROVIDER_FALLBACK cuda unavailable/);
    const health = ctrl.health.at(-1)!;
    assert.equal(health.executionProvider, 'cpu');
    assert.deepEqual(
      health.problems?.map((p) => [p.key, p.code]),
      [['provider', 'LW_AGENT_PROVIDER_FALLBACK']],
    );
  } finally {
    await agent.stop();
    await ctrl.stop();
  }
});

test('CPU configured first: no provider problem, status running', async () => {
  const ctrl = new TestController(broker.url, { site: 'plant-1', line: 'line-a', device: 'edge-2' });
  await ctrl.start();
  const agent = await build({ config: fx.config({ device: 'edge-2', broker: { url: broker.url } }) });
  agent.start();
  try {
    await waitFor('status and health', () => ctrl.statuses.length > 0 && ctrl.health.length > 0, 8000);
    assert.equal(agent.problems.has('provider'), false);
    assert.equal(ctrl.statuses.at(-1)!.state, 'running');
    assert.equal(ctrl.health.at(-1)!.problems, undefined);
  } finally {
    await agent.stop();
    await ctrl.stop();
  }
});
