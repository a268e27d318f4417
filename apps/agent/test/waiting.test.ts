/**
 * An agent with no model waits for the controller's instead of refusing to start: degraded with
 * LW_AGENT_WAITING_FOR_MODEL in status and health, then the desired model is downloaded over HTTPS (verified against
 * the enrolled CA; a package server whose certificate does not chain to it is refused), installed, and served.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AgentConfig } from '../src/config.js';
import { isAgentError } from '../src/errors.js';
import { createLogger } from '../src/log.js';
import { buildWhenModel, WAITING_NOTE } from '../src/waiting.js';
import { aedesBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { TestController, waitFor } from './helpers/controller.js';
import { desiredFor, packageServer } from './helpers/packages.js';
import { hasOpenssl, makePki } from './helpers/pki.js';
import type { Pki } from './helpers/pki.js';

let fx: Fixture;
let broker: TestBroker;
let pki: Pki;
let server: Awaited<ReturnType<typeof packageServer>>;
const skip = !hasOpenssl && 'openssl not installed';

before(async () => {
  fx = await fixture();
  broker = await aedesBroker();
  await broker.start();
  if (!hasOpenssl) return;
  pki = makePki(fx.dir);
  server = await packageServer({ cert: pki.cert, key: pki.key });
});
after(async () => {
  await server?.close();
  await broker.stop();
  fx.cleanup();
});

function noModelConfig(device: string, caFile: string): AgentConfig {
  return fx.config({
    device,
    broker: { url: broker.url },
    model: { trustedKeyPath: fx.keys.publicKeyPath },
    controller: { caFile },
    dataDir: join(fx.dir, device),
  });
}

test(
  'no model: the agent waits degraded, then installs the desired model over HTTPS and serves it',
  { skip },
  async () => {
    const address = { site: 'plant-1', line: 'line-a', device: 'edge-w1' };
    const ctrl = new TestController(broker.url, address);
    await ctrl.start();
    const pending = buildWhenModel({ config: noModelConfig(address.device, pki.caPath), log: createLogger('silent') });
    try {
      await waitFor('waiting status and health', () => ctrl.statuses.length > 0 && ctrl.health.length > 0, 10_000);
      assert.equal(ctrl.births, 1);
      const status = ctrl.statuses.at(-1)!;
      assert.equal(status.state, 'degraded');
      assert.equal(status.modelVersion, null);
      assert.equal(status.note, WAITING_NOTE);
      assert.deepEqual(
        ctrl.health.at(-1)!.problems?.map((p) => p.code),
        ['LW_AGENT_WAITING_FOR_MODEL'],
      );
      const url = server.put('/w1.tar.gz', fx.initial.tar);
      ctrl.sendDesired(desiredFor(address.device, fx.initial, url, { rolloutId: 'r-first' }));
      const agent = await pending;
      agent.start();
      try {
        assert.equal(agent.pipeline.model.version, '1.0.0+1');
        await waitFor(
          'running on the new model, reported live',
          () =>
            ctrl.statuses.at(-1)?.state === 'running' &&
            ctrl.reports.some((r) => r.rolloutId === 'r-first' && r.state === 'live'),
          10_000,
        );
        assert.equal(ctrl.statuses.at(-1)?.modelVersion, '1.0.0+1');
        await waitFor('scores on the installed model', () => ctrl.scores.length > 0, 5000);
      } finally {
        await agent.stop();
      }
    } finally {
      await pending.then(undefined, () => undefined);
      await ctrl.stop();
    }
  },
);

test(
  'a package server whose certificate the enrolled CA did not sign is refused; the agent keeps waiting',
  { skip },
  async () => {
    const address = { site: 'plant-1', line: 'line-a', device: 'edge-w2' };
    const ctrl = new TestController(broker.url, address);
    await ctrl.start();
    const abort = new AbortController();
    const pending = buildWhenModel({
      config: noModelConfig(address.device, pki.otherCaPath),
      log: createLogger('silent'),
      signal: abort.signal,
    });
    try {
      await waitFor('waiting', () => ctrl.statuses.length > 0, 10_000);
      const before = server.requests.length;
      const url = server.put('/w2.tar.gz', fx.initial.tar);
      ctrl.sendDesired(desiredFor(address.device, fx.initial, url, { rolloutId: 'r-tls' }));
      const failed = (): boolean => ctrl.reports.some((r) => r.rolloutId === 'r-tls' && r.state === 'failed');
      await waitFor('failed report', failed, 10_000);
      const report = ctrl.reports.find((r) => r.rolloutId === 'r-tls' && r.state === 'failed')!;
      assert.equal(report.reason?.code, 'DOWNLOAD_FAILED');
      assert.match(report.reason?.message ?? '', /certificate/i);
      assert.equal(report.liveVersion, null);
      assert.equal(server.requests.length, before, 'no request reached a server the CA does not vouch for');
      assert.equal(ctrl.statuses.at(-1)?.state, 'degraded');
    } finally {
      abort.abort();
      await assert.rejects(pending, (e: unknown) => isAgentError(e) && e.code === 'LW_AGENT_WAITING_FOR_MODEL');
      await ctrl.stop();
    }
  },
);
