import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ModelReportMessage } from '@linewatch/protocol';
import { build } from '../src/agent.js';
import type { Agent } from '../src/agent.js';
import { aedesBroker } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { TestController, waitFor } from './helpers/controller.js';
import { desiredFor, makeKeys, makePackage, packageFromEntries, packageServer } from './helpers/packages.js';
import type { TestPackage } from './helpers/packages.js';

const address = { site: 'plant-1', line: 'line-a', device: 'edge-1' };
let fx: Fixture;
let broker: TestBroker;
let server: Awaited<ReturnType<typeof packageServer>>;
let ctrl: TestController;
let agent: Agent;
/** Per camera: every scored frame index and the model that scored it. */
const scored = new Map<string, { index: number; version: string }[]>();

before(async () => {
  fx = await fixture();
  broker = await aedesBroker();
  await broker.start();
  server = await packageServer();
  ctrl = new TestController(broker.url, address);
  await ctrl.start();
  agent = await build({
    config: fx.config({
      broker: { url: broker.url },
      // Two cameras at full rate; inference on 32×32 keeps up, so any skipped frame would be the swap's fault.
      cameras: ['cam-1', 'cam-2'].map((id) => ({
        id,
        threshold: 1e6,
        source: { kind: 'synthetic', width: 32, height: 32, fps: 20, distinctFrames: 4 },
      })),
      model: { trustedKeyPath: fx.keys.publicKeyPath, initialPackage: fx.initialPath, maxDownloadBytes: 200_000 },
    }),
    onScored: (camera, frame, _r, version) => {
      let list = scored.get(camera);
      if (!list) scored.set(camera, (list = []));
      list.push({ index: frame.index, version });
    },
  });
  agent.start();
  await waitFor('agent online', () => ctrl.births >= 1, 5000);
});

after(async () => {
  await agent.stop();
  await ctrl.stop();
  await server.close();
  await broker.stop();
  fx.cleanup();
});

function finalReport(rolloutId: string): ModelReportMessage | undefined {
  return ctrl.reports.filter((r) => r.rolloutId === rolloutId).find((r) => r.state === 'live' || r.state === 'failed');
}

async function offer(
  pkg: TestPackage,
  rolloutId: string,
  extra: Parameters<typeof desiredFor>[3] = {},
  bytes: Uint8Array = pkg.tar,
): Promise<ModelReportMessage> {
  const url = server.put(`/${rolloutId}.tar.gz`, bytes);
  ctrl.sendDesired(desiredFor(address.device, pkg, url, { rolloutId, ...extra }));
  await waitFor(`final report for ${rolloutId}`, () => finalReport(rolloutId) !== undefined, 15_000);
  return finalReport(rolloutId)!;
}

async function assertStillServing(version: string): Promise<void> {
  assert.equal(agent.pipeline.model.version, version);
  const before = agent.pipeline.cameras.get('cam-1')!.scored;
  await waitFor('frames still scored', () => agent.pipeline.cameras.get('cam-1')!.scored >= before + 3, 3000);
}

test('upgrade: every state reported in order, swapped between frames with zero frames skipped, previous kept', async () => {
  const pkg = await makePackage(fx.keys, { version: '1.1.0', build: 2, gain: 2 });
  // Count from a steady state (start-up JIT/connect hiccups are not the swap's), through download, load, warm-up,
  // self-test and swap, to 300 ms after the swap.
  await new Promise((r) => setTimeout(r, 500));
  scored.clear();
  await new Promise((r) => setTimeout(r, 0));
  const dropsBefore = new Map([...agent.pipeline.cameras].map(([id, c]) => [id, c.slot.dropped]));
  const final = await offer(pkg, 'up-1');
  assert.equal(final.state, 'live', JSON.stringify(final.reason));
  const states = ctrl.reports.filter((r) => r.rolloutId === 'up-1').map((r) => r.state);
  assert.deepEqual([...new Set(states)], ['downloading', 'verifying', 'loading', 'self-testing', 'swapping', 'live']);
  assert.equal(agent.pipeline.model.version, '1.1.0+2');
  await new Promise((r) => setTimeout(r, 300));
  for (const [camera, list] of scored) {
    const cam = agent.pipeline.cameras.get(camera)!;
    // 1. Nothing vanishes: every frame the camera delivered was scored, or counted as dropped/invalid.
    assert.equal(
      cam.scored + cam.slot.dropped + cam.invalid + (cam.slot.delivered - cam.lastFrameIndex - 1),
      cam.slot.delivered,
      `${camera}: frame accounting`,
    );
    // 2. The swap itself skips nothing: the frames on either side of the version switch are consecutive.
    const at = list.findIndex((f) => f.version === '1.1.0+2');
    assert.ok(
      at > 0 &&
        list.slice(0, at).every((f) => f.version === '1.0.0+1') &&
        list.slice(at).every((f) => f.version === '1.1.0+2'),
      'one switch, old then new',
    );
    const around = list.slice(Math.max(0, at - 5), at + 5);
    const gaps = around.filter((f, i) => i > 0 && f.index !== around[i - 1]!.index + 1);
    assert.equal(gaps.length, 0, `${camera}: frames skipped at the swap: ${JSON.stringify(around)}`);
    // 3. Over the whole update (download, load, warm-up, self-test, swap), drops come only from CPU contention
    //    and are counted; on an idle 2-core box there are none.
    const dropped = cam.slot.dropped - dropsBefore.get(camera)!;
    let missing = 0;
    for (let i = 1; i < list.length; i++) missing += list[i]!.index - list[i - 1]!.index - 1;
    assert.equal(missing, dropped, `${camera}: every missing frame is a counted drop`);
    if (dropped > 0)
      process.stderr.write(
        `[update] ${camera}: ${dropped} frames dropped during the update (CPU contention), 0 at the swap\n`,
      );
  }
  await waitFor(
    'status back to running on the new model',
    () => ctrl.statuses.at(-1)?.state === 'running' && ctrl.statuses.at(-1)?.modelVersion === '1.1.0+2',
    3000,
  );
  assert.ok(
    ctrl.statuses.some((st) => st.state === 'updating'),
    'status said updating during the update',
  );
  const pointer = JSON.parse(readFileSync(join(agent.config.dataDir, 'models', 'current.json'), 'utf8')) as {
    live: string;
    previous: string;
  };
  assert.deepEqual(pointer, { live: '1.1.0+2', previous: '1.0.0+1' });
});

test('bad packages are rejected with their coded reason while the live model keeps serving', async () => {
  const good = await makePackage(fx.keys, { version: '1.2.0', build: 3, gain: 3 });
  const other = makeKeys(fx.dir, 'intruder');
  const tamperedEntries = good.entries.map((e) =>
    e.path === 'model.onnx'
      ? { path: e.path, data: Uint8Array.from(e.data, (b, i) => (i === e.data.length - 1 ? b ^ 1 : b)) }
      : e,
  );
  const truncatedEntries = good.entries.map((e) =>
    e.path === 'model.onnx' ? { path: e.path, data: e.data.subarray(0, e.data.length - 10) } : e,
  );
  const unsignedEntries = good.entries.filter((e) => e.path !== 'signature.json');
  const cases: {
    name: string;
    pkg: TestPackage;
    bytes?: Uint8Array;
    extra?: Record<string, unknown>;
    reason: string;
    detail?: RegExp;
  }[] = [
    {
      name: 'tampered',
      pkg: packageFromEntries(tamperedEntries, '1.2.0+3'),
      reason: 'HASH_MISMATCH',
      detail: /LW_PKG_DIGEST_MISMATCH/,
    },
    {
      name: 'truncated-file',
      pkg: packageFromEntries(truncatedEntries, '1.2.0+3'),
      reason: 'HASH_MISMATCH',
      detail: /LW_PKG_SIZE_MISMATCH/,
    },
    {
      name: 'truncated-download',
      pkg: good,
      bytes: good.tar.subarray(0, good.tar.length >> 1),
      reason: 'HASH_MISMATCH',
    },
    {
      name: 'unsigned',
      pkg: { ...packageFromEntries(unsignedEntries, '1.2.0+3'), signature: good.signature },
      reason: 'SIGNATURE_INVALID',
      detail: /LW_PKG_UNSIGNED/,
    },
    {
      name: 'wrong-key',
      pkg: await makePackage(other, { version: '1.2.0', build: 3, gain: 3 }),
      reason: 'SIGNATURE_INVALID',
      detail: /LW_PKG_BAD_SIGNATURE/,
    },
    {
      name: 'downgrade',
      pkg: await makePackage(fx.keys, { version: '0.9.0', build: 1 }),
      reason: 'INCOMPATIBLE',
      detail: /downgrade/,
    },
    {
      name: 'self-test',
      pkg: await makePackage(fx.keys, { version: '1.3.0', build: 4, goldenScore: 42 }),
      reason: 'SELF_TEST_FAILED',
      detail: /golden/,
    },
    {
      name: 'not-found',
      pkg: good,
      extra: { packageUrl: `${server.url}/missing.tar.gz` },
      reason: 'DOWNLOAD_FAILED',
      detail: /404/,
    },
    {
      name: 'too-large',
      pkg: good,
      bytes: new Uint8Array(300_000),
      extra: { sha256: '0'.repeat(64) },
      reason: 'DOWNLOAD_FAILED',
      detail: /limit|exceeds/,
    },
  ];
  for (const c of cases) {
    const r = await offer(c.pkg, `bad-${c.name}`, c.extra ?? {}, c.bytes ?? c.pkg.tar);
    assert.equal(r.state, 'failed', c.name);
    assert.equal(r.reason?.code, c.reason, `${c.name}: ${r.reason?.message}`);
    if (c.detail) assert.match(r.reason?.message ?? '', c.detail, c.name);
    assert.equal(r.liveVersion, '1.1.0+2', `${c.name}: report names what keeps serving`);
    await assertStillServing('1.1.0+2');
  }
  assert.ok(
    !existsSync(join(agent.config.dataDir, 'models', 'pkgs', '1.3.0+4')),
    'the package that failed its self-test was removed',
  );
});

test('a download cut mid-transfer resumes with a Range request and goes live', async () => {
  const pkg = await makePackage(fx.keys, { version: '1.4.0', build: 6, gain: 1.5 });
  server.cutOnceAfter = Math.floor(pkg.tar.length / 2);
  const r = await offer(pkg, 'resume-1');
  assert.equal(r.state, 'live', JSON.stringify(r.reason));
  const reqs = server.requests.filter((q) => q.startsWith('/resume-1.tar.gz'));
  assert.equal(reqs.length, 2, reqs.join(' | '));
  assert.equal(reqs[1], `/resume-1.tar.gz bytes=${Math.floor(pkg.tar.length / 2)}-`);
  assert.equal(agent.pipeline.model.version, '1.4.0+6');
});

test('rollback to the kept previous package needs no download', async () => {
  const before = server.requests.length;
  const r = await offer(await makePackage(fx.keys, { version: '1.1.0', build: 2, gain: 2 }), 'rb-1', {
    version: '1.1.0+2',
    rollback: true,
    packageUrl: `${server.url}/never-fetched`,
  });
  assert.equal(r.state, 'live', JSON.stringify(r.reason));
  assert.equal(agent.pipeline.model.version, '1.1.0+2');
  assert.equal(server.requests.length, before, 'served from the kept package');
});

test('shadow mode scores the candidate beside the live model, reports, then swaps', async () => {
  const pkg = await makePackage(fx.keys, { version: '2.0.0', build: 7, gain: 4 });
  const r = await offer(pkg, 'shadow-1', { shadow: { durationS: 1, minFrames: 10 } });
  assert.equal(r.state, 'live', JSON.stringify(r.reason));
  const states = [...new Set(ctrl.reports.filter((x) => x.rolloutId === 'shadow-1').map((x) => x.state))];
  assert.deepEqual(states, ['downloading', 'verifying', 'loading', 'self-testing', 'shadow', 'swapping', 'live']);
  const stats = agent.updater.lastShadow!;
  assert.ok(stats.frames >= 10, `${stats.frames} shadow frames`);
  assert.equal(stats.agree, stats.frames, 'threshold 1e6 on both: full agreement');
  assert.ok(
    ctrl.statuses.some((st) => st.state === 'updating' && /shadow: \d+ frames, agreement 1\.000/.test(st.note ?? '')),
    'shadow statistics reported in the status',
  );
  const withShadow = ctrl.scores.filter((s) => s.shadowScore !== undefined);
  assert.ok(withShadow.length >= 5, 'scores carried shadowScore during the window');
  assert.ok(
    withShadow.every((s) => Math.abs(s.shadowScore! - 2 * s.score) < 1e-3 * Math.max(1, s.score)),
    'candidate (gain 4) = 2× the live model (gain 2)',
  );
});
