/**
 * Agent benchmark: end-to-end fps and latency (frame in → score published) for 1 and 4 synthetic cameras, next to
 * bare `session.run` fps of the same model in the same process, and RSS over the run.
 *
 *   npm run bench:agent -- --json out.json [--seconds 20] [--rss-seconds 600] [--size 256] [--frame 640x480]
 *                          [--threshold 0.65] [--package model.tar.gz --key trusted.pub.pem] [--providers cuda,cpu]
 *
 * Without --package, a tiny hand-built model with the real I/O contract is used (then the numbers measure the
 * agent's own overhead: preprocessing, publishing, scheduling). Cameras run faster than inference can keep up
 * with, so fps is the pipeline's throughput and drops are expected; latency is per scored frame.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, float32 } from '@linewatch/inference';
import { MODEL_FILE, readPackage, verifyEntries, loadPublicKey } from '@linewatch/model-package';
import { build } from '../src/agent.js';
import { parseConfig } from '../src/config.js';
import { LatencyWindow } from '../src/stats.js';
import { aedesBroker } from '../test/helpers/brokers.js';
import { TestController } from '../test/helpers/controller.js';
import { makeKeys, makePackage } from '../test/helpers/packages.js';

function arg(name: string, dflt?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const seconds = Number(arg('seconds', '20'));
const rssSeconds = Number(arg('rss-seconds', String(seconds)));
const size = Number(arg('size', '256'));
const [fw, fh] = (arg('frame', '640x480') ?? '640x480').split('x').map(Number) as [number, number];
const providers = (arg('providers', 'cpu') ?? 'cpu').split(',');
const jsonOut = arg('json');

const dir = mkdtempSync(join(tmpdir(), 'lw-bench-agent-'));
const rssSamples: number[] = [];
const rssSamples4: number[] = [];
let sampling4 = false;
const rssTimer = setInterval(() => {
  const mb = process.memoryUsage().rss / 2 ** 20;
  rssSamples.push(mb);
  if (sampling4) rssSamples4.push(mb);
}, 1000);

async function packagePath(): Promise<{ path: string; keyPath: string }> {
  const given = arg('package');
  if (given) return { path: given, keyPath: arg('key') ?? '' };
  const keys = makeKeys(dir);
  const pkg = await makePackage(keys, { version: '1.0.0', build: 1, size, threshold: Number(arg('threshold', '0.65')) });
  const path = join(dir, 'bench.tar.gz');
  writeFileSync(path, pkg.tar);
  return { path, keyPath: keys.publicKeyPath };
}

async function bareFps(pkgPath: string, keyPath: string): Promise<number> {
  const v = verifyEntries(readPackage(pkgPath), [loadPublicKey(keyPath)]);
  const s = await InferenceSession.open(v.files.get(MODEL_FILE)!, { executionProviders: providers });
  const { width, height, channels } = v.manifest.input;
  const input = float32(new Float32Array(channels * width * height).fill(0.1), [1, channels, height, width]);
  await s.warmUp(2);
  let n = 0;
  const end = performance.now() + Math.min(seconds, 10) * 1000;
  while (performance.now() < end) {
    await s.run({ image: input });
    n++;
  }
  const fps = n / Math.min(seconds, 10);
  await s.release();
  return fps;
}

async function e2e(cameras: number, pkgPath: string, keyPath: string, runSeconds: number) {
  const broker = await aedesBroker();
  await broker.start();
  const address = { site: 'bench', line: 'l1', device: 'bench-1' };
  const ctrl = new TestController(broker.url, address, true);
  await ctrl.start();
  const config = parseConfig({
    ...address,
    broker: { url: broker.url },
    cameras: Array.from({ length: cameras }, (_, i) => ({ id: `cam-${i + 1}`, source: { kind: 'synthetic', width: fw, height: fh, fps: 240, distinctFrames: 16, defectRate: 0.1 } })),
    inference: { executionProviders: providers, warmUpRuns: 2 },
    model: { trustedKeyPath: keyPath, initialPackage: pkgPath },
    dataDir: join(dir, `data-${cameras}`),
    healthIntervalS: 5,
    logLevel: 'warn',
  });
  const lat = new LatencyWindow(1 << 20);
  let counting = false;
  let frames = 0;
  const agent = await build({
    config,
    onScored: (_cam, frame) => {
      if (!counting) return;
      frames++;
      lat.add(performance.now() - frame.t0);
    },
  });
  agent.start();
  await new Promise((r) => setTimeout(r, 5000)); // warm-up: JIT, synthetic frame renders, connect
  const dropped0 = [...agent.pipeline.cameras.values()].reduce((a, c) => a + c.slot.dropped, 0);
  counting = true;
  sampling4 = cameras === 4;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, runSeconds * 1000));
  counting = false;
  sampling4 = false;
  const elapsed = (performance.now() - t0) / 1000;
  const dropped = [...agent.pipeline.cameras.values()].reduce((a, c) => a + c.slot.dropped, 0) - dropped0;
  const provider = agent.pipeline.model.provider;
  await agent.stop();
  await ctrl.stop();
  await broker.stop();
  const p = lat.percentiles();
  return { cameras, fps: frames / elapsed, p50Ms: p.p50, p99Ms: p.p99, framesDropped: dropped, events: ctrl.events.size, provider };
}

async function main(): Promise<void> {
  const { path, keyPath } = await packagePath();
  const bare = await bareFps(path, keyPath);
  const runs = [];
  for (const cameras of [1, 4]) {
    const r = await e2e(cameras, path, keyPath, cameras === 4 ? Math.max(seconds, rssSeconds) : seconds);
    runs.push({ ...r, bareFps: bare });
    process.stderr.write(`[bench:agent] ${cameras} camera(s): ${r.fps.toFixed(1)} fps e2e (bare ${bare.toFixed(1)}), p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, ${r.events} events, ${r.framesDropped} frames dropped\n`);
  }
  clearInterval(rssTimer);
  const result = {
    bench: 'agent',
    model: arg('package') ? path : `tiny ${size}x${size}`,
    frame: `${fw}x${fh}`,
    seconds,
    rssSeconds,
    runs,
    // RSS at the end of the 4-camera run (lasts --rss-seconds), its first minute's sample, and the process max.
    rssMb: Math.round(rssSamples4.at(-1) ?? 0),
    rssMbAfter60s: Math.round(rssSamples4[Math.min(59, rssSamples4.length - 1)] ?? 0),
    rssMbMax: Math.round(Math.max(0, ...rssSamples)),
  };
  const text = JSON.stringify(result, null, 2);
  if (jsonOut) writeFileSync(jsonOut, `${text}\n`);
  process.stdout.write(`${text}\n`);
}

main()
  .catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    clearInterval(rssTimer);
    rmSync(dir, { recursive: true, force: true });
  });
