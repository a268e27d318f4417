import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadPublicKey } from '@linewatch/model-package';
import type { Manifest } from '@linewatch/protocol';
import { createImage } from '@linewatch/vision';
import { build } from '../src/agent.js';
import { AgentError } from '../src/errors.js';
import { loadStartupModel } from '../src/model/bootstrap.js';
import { LoadedModel } from '../src/model/loaded-model.js';
import { ModelStore } from '../src/model/store.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { makePackage } from './helpers/packages.js';
import { uniformScore } from './helpers/tiny-model.js';

let fx: Fixture;
before(async () => {
  fx = await fixture();
});
after(() => fx.cleanup());

const silent = (): void => undefined;
const loader = (version: string, manifest: Manifest, bytes: Uint8Array) =>
  LoadedModel.load(version, manifest, bytes, { executionProviders: ['cuda', 'cpu'], warmUpRuns: 1 });

test('the tiny model scores a frame as expected; provider fallback is reported', async () => {
  const manifest = JSON.parse(
    Buffer.from(fx.initial.entries.find((e) => e.path === 'manifest.json')!.data).toString(),
  ) as Manifest;
  const m = await loader('1.0.0+1', manifest, fx.initial.entries.find((e) => e.path === 'model.onnx')!.data);
  try {
    const r = await m.infer(createImage(64, 48, [200, 200, 200]));
    assert.ok(Math.abs(r.score - uniformScore(200, 1)) < 1e-4, `score ${r.score}`);
    assert.equal(r.map.width, 32);
    assert.equal(m.provider, 'cpu');
    assert.equal(m.attempts.at(-1)?.provider, 'cpu');
    assert.ok(m.attempts.length === 1 || m.attempts[0]?.ok === false, 'cuda tried first where listed');
  } finally {
    await m.release();
  }
});

test("a letterboxed model: the map comes back cropped to the frame's part of the input", async () => {
  const manifest = JSON.parse(
    Buffer.from(fx.initial.entries.find((e) => e.path === 'manifest.json')!.data).toString(),
  ) as Manifest;
  const boxed = { ...manifest, input: { ...manifest.input, fit: 'letterbox' as const } };
  const m = await loader('1.0.0+1', boxed, fx.initial.entries.find((e) => e.path === 'model.onnx')!.data);
  try {
    // 4:1 frame into the 32×32 input → content 32×8; left half dark, right half bright.
    const frame = createImage(64, 16, [0, 0, 0]);
    for (let y = 0; y < 16; y++)
      for (let x = 32; x < 64; x++) frame.data.fill(255, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
    const r = await m.infer(frame);
    assert.equal(r.map.width, 32);
    assert.equal(r.map.height, 8);
    // The tiny model maps |normalised pixel|: both halves give 1 (0 → −1, 255 → +1); the mean-colour bands give ≈ 0
    // and must be gone from the map.
    assert.ok(
      r.map.data.every((v) => v > 0.9),
      `min ${Math.min(...r.map.data)}`,
    );
    const full = await loader('1.0.0+1', manifest, fx.initial.entries.find((e) => e.path === 'model.onnx')!.data);
    try {
      assert.equal((await full.infer(frame)).map.height, 32, 'a stretching model keeps the whole map');
    } finally {
      await full.release();
    }
  } finally {
    await m.release();
  }
});

test('two input buffers: a third frame waits for one to come back; release() waits for frames in flight', async () => {
  const manifest = JSON.parse(
    Buffer.from(fx.initial.entries.find((e) => e.path === 'manifest.json')!.data).toString(),
  ) as Manifest;
  const m = await loader('1.0.0+1', manifest, fx.initial.entries.find((e) => e.path === 'model.onnx')!.data);
  const r1 = await m.reserve();
  const r2 = await m.reserve();
  let third = false;
  const p3 = m.reserve().then((r) => {
    third = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(third, false, 'both buffers are out');
  const a = r1.run(createImage(64, 48, [100, 100, 100]));
  let released = false;
  const release = m.release().then(() => {
    released = true;
  });
  r2.cancel();
  const r3 = await p3;
  const c = r3.run(createImage(64, 48, [200, 200, 200]));
  const [ra, rc] = await Promise.all([a, c]);
  assert.ok(Math.abs(ra.score - uniformScore(100, 1)) < 1e-4, `score ${ra.score}`);
  assert.ok(Math.abs(rc.score - uniformScore(200, 1)) < 1e-4, `score ${rc.score}`);
  await release;
  assert.ok(released);
  await assert.rejects(m.reserve(), (e: unknown) => e instanceof AgentError && e.code === 'LW_AGENT_INFERENCE_FAILED');
});

test('start-up installs the initial package, then prefers live, falls back to previous when live no longer verifies', async () => {
  const dataDir = join(fx.dir, 'store');
  const store = new ModelStore(dataDir);
  const keys = [loadPublicKey(fx.keys.publicKeyPath)];
  const first = await loadStartupModel(store, keys, fx.initialPath, loader, silent);
  assert.equal(first.version, '1.0.0+1');
  await first.release();
  const next = await makePackage(fx.keys, { version: '1.1.0', build: 2, gain: 2 });
  store.install('1.1.0+2', next.entries);
  store.setPointer({ live: '1.1.0+2', previous: '1.0.0+1' });
  const live = await loadStartupModel(store, keys, undefined, loader, silent);
  assert.equal(live.version, '1.1.0+2');
  await live.release();
  // Corrupt the live package on disk (bit rot, partial copy): the previous one must serve.
  writeFileSync(join(store.dir('1.1.0+2'), 'model.onnx'), 'garbage');
  const fallback = await loadStartupModel(store, keys, undefined, loader, silent);
  assert.equal(fallback.version, '1.0.0+1');
  assert.deepEqual(store.pointer(), { live: '1.0.0+1', previous: null });
  await fallback.release();
  store.prune();
  assert.deepEqual(readdirSync(store.pkgs), ['1.0.0+1']);
});

test('no model anywhere: LW_AGENT_NO_MODEL; a bad trusted key path: LW_AGENT_CONFIG_INVALID', async () => {
  const store = new ModelStore(join(fx.dir, 'empty'));
  await assert.rejects(
    loadStartupModel(store, [loadPublicKey(fx.keys.publicKeyPath)], undefined, loader, silent),
    (e: unknown) => e instanceof AgentError && e.code === 'LW_AGENT_NO_MODEL',
  );
  const cfg = fx.config({ dataDir: join(fx.dir, 'nokey'), model: { trustedKeyPath: join(fx.dir, 'missing.pem') } });
  await assert.rejects(
    build({ config: cfg }),
    (e: unknown) => e instanceof AgentError && e.code === 'LW_AGENT_CONFIG_INVALID',
  );
});

test('a missing TLS file fails start-up with LW_AGENT_TLS_FILE', async () => {
  const cfg = fx.config({
    dataDir: join(fx.dir, 'tls'),
    broker: { url: 'mqtts://127.0.0.1:8883', tls: { caFile: join(fx.dir, 'no-ca.pem') } },
  });
  await assert.rejects(
    build({ config: cfg }),
    (e: unknown) => e instanceof AgentError && e.code === 'LW_AGENT_TLS_FILE',
  );
});

test('a model without the image → anomaly_map + score contract is refused as incompatible', async () => {
  const { reluPlusOneModel } = await import('./helpers/relu-model.js');
  const manifest = JSON.parse(
    Buffer.from(fx.initial.entries.find((e) => e.path === 'manifest.json')!.data).toString(),
  ) as Manifest;
  await assert.rejects(
    loader('x', manifest, reluPlusOneModel()),
    (e: unknown) => e instanceof AgentError && e.code === 'LW_AGENT_MODEL_INCOMPATIBLE',
  );
});
