/**
 * `linewatch-agent check`: cameras probed through the agent's own sources — a video file and a loopback RTSP camera
 * through the real ffmpeg, an image folder — each written as a JPEG with size and fps; missing ffmpeg, a missing
 * V4L2 device, an unreachable RTSP URL and a wrong pixel size each come back with the code that names the fix; then
 * the broker, and the installed model on its first provider.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { createImage, encodePng } from '@linewatch/vision';
import { build } from '../src/agent.js';
import { probeCamera } from '../src/check/camera.js';
import { runCheck } from '../src/check/check.js';
import type { AgentConfig, CameraConfig } from '../src/config.js';
import { createSource } from '../src/sources/index.js';
import { aedesBroker, freePort } from './helpers/brokers.js';
import type { TestBroker } from './helpers/brokers.js';
import { fixture } from './helpers/config-fixture.js';
import type { Fixture } from './helpers/config-fixture.js';
import { hasOpenssl, makePki } from './helpers/pki.js';
import { hasFfmpeg, makeClip, rtspCamera } from '@linewatch/testing/rtsp';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const noFfmpeg = !hasFfmpeg && 'ffmpeg not installed';
let fx: Fixture;
let broker: TestBroker;
let clip = '';

before(async () => {
  fx = await fixture();
  broker = await aedesBroker();
  await broker.start();
  if (hasFfmpeg) clip = makeClip(fx.dir, 160, 120);
});
after(async () => {
  await broker.stop();
  fx.cleanup();
});

function cfgWith(cameras: unknown[], extra: Record<string, unknown> = {}): AgentConfig {
  return fx.config({ cameras, broker: { url: broker.url }, ...extra });
}

const probe = (cam: CameraConfig, cfg: AgentConfig, timeoutMs = 8000): ReturnType<typeof probeCamera> =>
  probeCamera(cam, cfg, { timeoutMs, measureMs: 1500 });

test(
  'a video file camera: one frame at the configured size, fps measured near the configured rate',
  { skip: noFfmpeg },
  async () => {
    const cfg = cfgWith([{ id: 'vid', source: { kind: 'video', path: clip, width: 64, height: 48, fps: 5 } }]);
    const r = await probe(cfg.cameras[0]!, cfg);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.frame.width, 64);
    assert.equal(r.frame.height, 48);
    assert.ok(r.fps > 2 && r.fps < 8, `fps ${r.fps}`);
  },
);

test("a loopback RTSP camera feeds the agent's RTSP source", { skip: noFfmpeg, timeout: 30_000 }, async () => {
  const cam = await rtspCamera(clip);
  try {
    const cfg = cfgWith([{ id: 'rtsp', source: { kind: 'rtsp', url: cam.url, width: 80, height: 60, fps: 5 } }]);
    const r = await probe(cfg.cameras[0]!, cfg, 15_000);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.frame.width, 80);
    assert.equal(r.frame.data.length, 80 * 60 * 3);
    assert.ok(r.frames >= 2, `frames ${r.frames}`);
    assert.ok(cam.requests.includes('PLAY'), cam.requests.join(','));
  } finally {
    await cam.stop();
  }
});

test(
  "an RTSP URL nobody answers is LW_AGENT_CHECK_RTSP_UNREACHABLE with ffmpeg's reason",
  { skip: noFfmpeg },
  async () => {
    const port = await freePort();
    const cfg = cfgWith([
      { id: 'gone', source: { kind: 'rtsp', url: `rtsp://127.0.0.1:${port}/x`, width: 64, height: 48, fps: 5 } },
    ]);
    const r = await probe(cfg.cameras[0]!, cfg, 2500);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'LW_AGENT_CHECK_RTSP_UNREACHABLE');
    assert.match(!r.ok ? r.message : '', /Connection refused/i);
  },
);

test('missing ffmpeg, a missing /dev/video device and a missing file each say what to fix', async () => {
  const cfg = cfgWith([
    { id: 'v4l', source: { kind: 'v4l2', device: '/dev/video-lw-missing', width: 64, height: 48, fps: 5 } },
    { id: 'vid', source: { kind: 'video', path: join(fx.dir, 'nope.mp4'), width: 64, height: 48, fps: 5 } },
    { id: 'dir', source: { kind: 'folder', path: join(fx.dir, 'no-frames'), width: 64, height: 48, fps: 5 } },
  ]);
  const noff = await probeCamera(cfg.cameras[1]!, cfg, { timeoutMs: 1000, ffmpeg: 'ffmpeg-lw-not-installed' });
  assert.deepEqual([noff.ok, !noff.ok && noff.code], [false, 'LW_AGENT_CHECK_FFMPEG_MISSING']);
  assert.match(!noff.ok ? noff.message : '', /apt-get install ffmpeg/);
  if (hasFfmpeg) {
    const v = await probe(cfg.cameras[0]!, cfg, 1000);
    assert.deepEqual([v.ok, !v.ok && v.code], [false, 'LW_AGENT_CHECK_DEVICE_MISSING']);
    assert.match(!v.ok ? v.message : '', /\/dev\/video-lw-missing does not exist/);
    const f = await probe(cfg.cameras[1]!, cfg, 1000);
    assert.deepEqual([f.ok, !f.ok && f.code], [false, 'LW_AGENT_CHECK_FILE_MISSING']);
  }
  const d = await probe(cfg.cameras[2]!, cfg, 1000);
  assert.deepEqual([d.ok, !d.ok && d.code], [false, 'LW_AGENT_CHECK_FILE_MISSING']);
});

test('a frame of another size than configured is LW_AGENT_CHECK_PIXEL_SIZE', async () => {
  const cfg = cfgWith([{ id: 'cam', source: { kind: 'synthetic', width: 64, height: 48, fps: 10 } }]);
  // A source that ignores the configured size, like a camera stuck in another mode.
  const wrong = createSource(
    {
      id: 'cam',
      source: {
        kind: 'synthetic',
        width: 32,
        height: 32,
        fps: 10,
        seed: 1,
        defectRate: 0,
        distinctFrames: 1,
        pace: 'realtime',
      },
    },
    cfg,
  );
  const r = await probeCamera(cfg.cameras[0]!, cfg, { timeoutMs: 3000, measureMs: 200, sourceFactory: () => wrong });
  assert.deepEqual([r.ok, !r.ok && r.code], [false, 'LW_AGENT_CHECK_PIXEL_SIZE']);
  assert.match(!r.ok ? r.message : '', /delivered 32x32, config says 64x48/);
});

test('the whole check: frames written as JPEG, broker reached, no model yet is not a failure', async () => {
  const frames = join(fx.dir, 'frames');
  mkdirSync(frames, { recursive: true });
  writeFileSync(join(frames, 'a.png'), await encodePng(createImage(40, 30, [90, 120, 200])));
  const cfg = cfgWith(
    [
      { id: 'syn', source: { kind: 'synthetic', width: 64, height: 48, fps: 10 } },
      { id: 'dir', source: { kind: 'folder', path: frames, width: 64, height: 48, fps: 5 } },
    ],
    { dataDir: join(fx.dir, 'check-data') },
  );
  const lines: string[] = [];
  const out = join(fx.dir, 'check-out');
  const ok = await runCheck(cfg, { out, timeoutMs: 5000, measureMs: 500 }, (l) => lines.push(l));
  assert.ok(ok, lines.join('\n'));
  assert.match(lines.join('\n'), /camera syn \(synthetic\): ok 64x48, [\d.]+ fps measured/);
  assert.match(lines.join('\n'), /broker: ok connected to mqtt:\/\/127\.0\.0\.1:\d+ \(plaintext\)/);
  assert.match(lines.join('\n'), /model: ok none installed yet/);
  for (const cam of ['syn', 'dir']) {
    const jpeg = readFileSync(join(out, `${cam}.jpg`));
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
  }
});

test('an unreachable broker and a model that does not open on the first provider fail the check', async () => {
  const dataDir = join(fx.dir, 'model-data');
  // Install the initial package as the agent would at its first start.
  const installed = await build({ config: fx.config({ dataDir }) });
  await installed.pipeline.model.release();
  const port = await freePort();
  const cfg = fx.config({
    dataDir,
    broker: { url: `mqtt://127.0.0.1:${port}` },
    inference: { executionProviders: ['cuda', 'cpu'], warmUpRuns: 1 },
  });
  const lines: string[] = [];
  const ok = await runCheck(cfg, { out: join(fx.dir, 'out-2'), timeoutMs: 3000, measureMs: 200 }, (l) => lines.push(l));
  assert.equal(ok, false);
  const text = lines.join('\n');
  assert.match(text, /broker: FAIL LW_AGENT_CHECK_BROKER: mqtt:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  if (/model: ok 1\.0\.0\+1 verified and opened on cuda/.test(text)) return; // a GPU host
  assert.match(text, /model: FAIL LW_AGENT_CHECK_MODEL: 1\.0\.0\+1 opens on cpu, not cuda: /);
  assert.match(text, /LW_AGENT_CHECK_FAILED/);
});

test('the CLI: check --help exits 0, a failing check exits 4', async () => {
  const run = (args: string[]): Promise<{ code: number | null; out: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['--conditions=@linewatch/source', '--import', 'tsx', MAIN, ...args], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
  const help = await run(['check', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /Exit codes:/);
  const configPath = join(fx.dir, 'check-cli.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      site: 'plant-1',
      line: 'line-a',
      device: 'edge-1',
      broker: { url: broker.url },
      cameras: [{ id: 'dir', source: { kind: 'folder', path: join(fx.dir, 'none'), width: 64, height: 48, fps: 5 } }],
      model: { trustedKeyPath: fx.keys.publicKeyPath },
      dataDir: join(fx.dir, 'cli-data'),
    }),
  );
  const r = await run(['check', '--config', configPath, '--out', join(fx.dir, 'cli-out'), '--timeout-ms', '1000']);
  assert.equal(r.code, 4, r.out);
  assert.match(r.out, /camera dir \(folder\): FAIL LW_AGENT_CHECK_FILE_MISSING/);
  assert.equal(existsSync(join(fx.dir, 'cli-out', 'dir.jpg')), false);
});

test(
  'the controller certificate is checked against controller.caFile: the right CA passes, another fails',
  { skip: !hasOpenssl && 'openssl not installed' },
  async () => {
    const pki = makePki(join(fx.dir, 'pki-check'));
    const server = createHttpsServer({ cert: pki.cert, key: pki.key }, (_req, res) => res.writeHead(404).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const [caFile, expect] of [
        [pki.caPath, /controller: ok https:\/\/127\.0\.0\.1:\d+: certificate verified against .*ca\.pem/],
        [
          pki.otherCaPath,
          /controller: FAIL LW_AGENT_CHECK_CONTROLLER: https:\/\/127\.0\.0\.1:\d+: certificate does not verify/,
        ],
      ] as const) {
        const cfg = cfgWith([{ id: 'syn', source: { kind: 'synthetic', width: 32, height: 32, fps: 10 } }], {
          controller: { url, caFile },
          dataDir: join(fx.dir, 'ctrl-check'),
        });
        const lines: string[] = [];
        await runCheck(cfg, { out: join(fx.dir, 'ctrl-out'), timeoutMs: 3000, measureMs: 200 }, (l) => lines.push(l));
        assert.match(lines.join('\n'), expect);
      }
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  },
);
