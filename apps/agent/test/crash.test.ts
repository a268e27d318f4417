/**
 * kill -9 of a real agent process, mid-stream and mid-update. After a restart on the same data dir: every event
 * that was on disk (unacked) reaches the controller, acked events are not resent forever (the outbox drains), the
 * event sequence keeps increasing, and a model is always serving — the old one or the new one.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decode } from '@linewatch/protocol';
import { AgentProcess } from './helpers/agent-process.js';
import { aedesBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { TestController, waitFor } from './helpers/controller.js';
import { desiredFor, makePackage, packageServer } from './helpers/packages.js';

const address = { site: 'plant-1', line: 'line-a', device: 'edge-1' };
let fx: Fixture;
let broker: TestBroker;
let proc: AgentProcess;

before(async () => {
  fx = await fixture();
  broker = await aedesBroker();
  await broker.start();
  proc = new AgentProcess(join(fx.dir, 'agent.json'));
});
after(async () => {
  await proc.terminate();
  await broker.stop();
  fx.cleanup();
});

function outboxSeqs(dataDir: string): number[] {
  const dir = join(dataDir, 'outbox');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.evt'))
    .map((f) => decode('event', new Uint8Array(readFileSync(join(dir, f)))).seq);
}

test(
  'kill -9 mid-stream: nothing unacknowledged is lost, nothing acknowledged is resent forever, seq keeps increasing',
  // Generous bounds: the waits only run long on a machine busy with other work (they end as soon as the state holds).
  { timeout: 180_000 },
  async () => {
    const dataDir = join(fx.dir, 'stream');
    const ctrl = new TestController(broker.url, address);
    await ctrl.start();
    const cfg = (threshold: number) =>
      fx.config({
        dataDir,
        broker: { url: broker.url, reconnectMs: 250 },
        outbox: { resendAfterMs: 1000 },
        cameras: ['cam-1', 'cam-2'].map((id) => ({
          id,
          threshold,
          source: { kind: 'synthetic', width: 48, height: 48, fps: 10, distinctFrames: 4 },
        })),
      });
    try {
      ctrl.ackEnabled = false; // let a backlog of unacked events build up on disk
      proc.start(cfg(0));
      await waitFor('events flowing', () => ctrl.events.size >= 20, 30_000);
      ctrl.ackEnabled = true;
      await new Promise((r) => setTimeout(r, 700));
      await proc.kill9();
      const onDisk = outboxSeqs(dataDir);
      const before = new Set(ctrl.events.keys());
      const maxBefore = Math.max(...before, ...onDisk);
      assert.ok(onDisk.length > 0, 'unacked events were on disk at the kill');

      const restartedAt = Date.now();
      proc.start(cfg(0));
      await waitFor('every on-disk event delivered', () => onDisk.every((s) => ctrl.events.has(s)), 30_000);
      await waitFor(
        'new events after restart',
        () => [...ctrl.events.values()].some((e) => e.ts > restartedAt),
        30_000,
      );
      await proc.terminate(); // clean stop: every flagged event reaches the outbox
      const missingFromRun1 = onDisk.filter((s) => !ctrl.events.has(s));
      assert.deepEqual(missingFromRun1, []);
      const newSeqs = [...ctrl.events.values()].filter((e) => e.ts > restartedAt).map((e) => e.seq);
      assert.ok(Math.min(...newSeqs) > maxBefore, `sequence continues above ${maxBefore} after the crash`);
      // Drain what the clean stop left: a restart with nothing flagged must empty the outbox (acked ≠ resent forever).
      proc.start(cfg(1e6));
      await waitFor('outbox drained', () => outboxSeqs(dataDir).length === 0, 30_000);
      const dupBudget = ctrl.duplicates;
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(ctrl.duplicates, dupBudget, 'no resends once everything is acked');
      await proc.terminate();
    } finally {
      await proc.kill9();
      await ctrl.stop();
    }
  },
);

test(
  'kill -9 in each update state: after restart the old or the new model serves, then the update completes',
  { timeout: 300_000 },
  async () => {
    const server = await packageServer();
    const ctrl = new TestController(broker.url, address);
    await ctrl.start();
    try {
      const pkg = await makePackage(fx.keys, { version: '1.5.0', build: 7, gain: 2 });
      const url = server.put('/pkg.tar.gz', pkg.tar);
      // Retained: every (re)started agent receives it on connect, as after a real crash.
      ctrl.sendDesired(desiredFor(address.device, pkg, url, { rolloutId: 'crash-roll' }));
      const outcomes: string[] = [];
      for (const state of ['downloading', 'verifying', 'loading', 'self-testing', 'swapping'] as const) {
        const dataDir = join(fx.dir, `update-${state}`);
        const cfg = fx.config({
          dataDir,
          broker: { url: broker.url, reconnectMs: 250 },
          cameras: [{ id: 'cam-1', threshold: 1e6, source: { kind: 'synthetic', width: 32, height: 32, fps: 10 } }],
        });
        server.slowMs = state === 'downloading' ? 2000 : 0;
        const seen = ctrl.reports.length;
        proc.start(cfg);
        await waitFor(`report ${state}`, () => ctrl.reports.slice(seen).some((r) => r.state === state), 30_000);
        await proc.kill9();
        const pointer = JSON.parse(readFileSync(join(dataDir, 'models', 'current.json'), 'utf8')) as { live: string };
        assert.ok(['1.0.0+1', '1.5.0+7'].includes(pointer.live), `pointer names a complete package: ${pointer.live}`);
        server.slowMs = 0;
        const births = ctrl.births;
        proc.start(cfg);
        await waitFor('agent up after the kill', () => ctrl.births > births && ctrl.statuses.length > 0, 30_000);
        const first = ctrl.statuses.at(-1)?.modelVersion;
        assert.ok(first === '1.0.0+1' || first === '1.5.0+7', `serving ${first} after kill in ${state}`);
        await waitFor('update completes after restart', () => ctrl.statuses.at(-1)?.modelVersion === '1.5.0+7', 30_000);
        outcomes.push(`${state}: restarted on ${pointer.live}`);
        await proc.terminate();
      }
      process.stderr.write(`[crash] ${outcomes.join('; ')}\n`);
    } finally {
      await proc.kill9();
      await ctrl.stop();
      await server.close();
    }
  },
);
