/**
 * Agent benchmark: end-to-end fps and latency (frame in → score published) for 1 and 4 synthetic cameras, next to
 * bare `session.run` fps of the same model in the same process, and RSS over a long run.
 *
 * Two ceilings are measured in every slice pair: `bareFps`, plain `session.run` back to back on this thread with
 * onnxruntime's default threading (what the target is stated against), and `barePoolFps`, the agent's own
 * session pool (runner-pool.ts: one single-threaded session per core on the CPU provider) kept saturated with no
 * cameras or MQTT — so `ratioToPool` shows how much of its inference capacity the agent turns into scored frames.
 *
 *   npm run bench:agent -- --json out.json [--seconds 30] [--slice 2] [--rss-seconds 600] [--cameras 1,4]
 *                          [--package model.tar.gz|dir --key trusted.pub.pem] [--providers cuda,cpu]
 *                          [--pace on-demand|realtime] [--fps 240] [--frame 640x480] [--size 256] [--threshold 0.65]
 *                          [--in-process] [--sessions auto|N] [--threads N] [--thresholds calibrated|manifest]
 *                          [--line-rate 1x25,4x25|none] [--line-seconds 20] [--phase drift|spread|aligned] [--help]
 *
 * `lineRate` (line-rate.ts): after the throughput runs, one agent per CAMERASxFPS with cameras paced at their real
 * fps (frames arrive whether or not the agent is ready), latency p50/p99, drops and where the tail's time went.
 *
 * Without --package, the default (cpu preset) model that `npm run bench:accuracy` leaves in dist/bench-accuracy/normal
 * is used if present, else a tiny hand-built model with the real I/O contract (then the numbers measure the agent's
 * own overhead: preprocessing, publishing, scheduling).
 *
 * Cameras are synthetic and, by default, `on-demand`: each delivers a frame the moment the pipeline is ready for
 * one (at most --fps a second), so the camera can always outpace inference and the figure is the agent's
 * throughput, not the camera's timer. `--pace realtime` paces them at --fps instead (newest frame wins, drops
 * counted). The shared machine's load varies within seconds, so for each camera count one agent runs in slices
 * that alternate with bare `session.run` slices of the same model in the same process: the cameras are gated shut
 * (the pipeline drains and idles), bare runs for half a slice, the cameras reopen for a slice (timed from its first
 * result, so refilling the pipeline is not counted) — `--seconds` of end-to-end time in all. fps and bareFps are totals over all slices; `os.loadavg()` is recorded too. The broker (aedes)
 * and a lean test controller (acks events, counts scores) run in this process and share its CPU.
 * `--in-process` runs the model on the main thread instead of the worker (for comparison only).
 *
 * Thresholds: a model trained on other images (the default one learnt Magnetic Tile) may score every synthetic frame
 * as anomalous, and then each frame costs a JPEG + PNG encode and an outbox write — a flag rate no line runs at. So
 * each camera gets the threshold a deployment would calibrate for it (the controller's per-camera threshold): just
 * above the highest score among that camera's normal frames (it cycles through `distinctFrames` of them, so no
 * normal frame is flagged; defective ones are when the model sees them). `--thresholds manifest` keeps the model's
 * own; `--threshold <v>` sets one for every camera.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { InferenceSession, float32, parseProviders } from '@linewatch/inference';
import { MODEL_FILE, readPackage, verifyEntries, loadPublicKey } from '@linewatch/model-package';
import { build } from '../src/agent.js';
import { parseConfig } from '../src/config.js';
import type { CameraConfig, AgentConfig } from '../src/config.js';
import { inProcessOpener } from '../src/model/loaded-model.js';
import { threadedOpener } from '../src/model/infer-thread.js';
import { openPool } from '../src/model/runner-pool.js';
import { createSource, SyntheticSource } from '../src/sources/index.js';
import type { FrameSink, FrameSource } from '../src/sources/index.js';
import { preprocessInto, settingsFromManifest } from '@linewatch/vision';
import type { RgbImage } from '@linewatch/vision';
import { LatencyWindow } from '../src/stats.js';
import { aedesBroker } from '../test/helpers/brokers.js';
import { TestController } from '../test/helpers/controller.js';
import { makeKeys, makePackage } from '../test/helpers/packages.js';
import { lineRate, parseLineRate } from './line-rate.js';
import { PHASES } from './paced-camera.js';
import type { Phase } from './paced-camera.js';
import { HELP } from './help.js';

function arg(name: string, dflt?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}
const seconds = Number(arg('seconds', '30'));
const slice = Number(arg('slice', '2'));
const rssSeconds = Number(arg('rss-seconds', '0'));
const camerasArg = arg('cameras', '1,4') ?? '1,4';
const cameraCounts = camerasArg === 'none' ? [] : camerasArg.split(',').map(Number);
const lineRateSpecs = parseLineRate(arg('line-rate', '1x25,4x25') ?? '');
const lineSeconds = Number(arg('line-seconds', '20'));
const phase = (arg('phase', 'drift') ?? 'drift') as Phase;
if (!PHASES.includes(phase)) throw new Error(`--phase must be one of ${PHASES.join(', ')}, got ${phase}`);
const size = Number(arg('size', '256'));
const [fw, fh] = (arg('frame', '640x480') ?? '640x480').split('x').map(Number) as [number, number];
// Checked up front (coded error for an unknown name), as the agent's config would.
const providers = parseProviders((arg('providers', 'cpu') ?? 'cpu').split(','));
const pace = arg('pace', 'on-demand') as 'on-demand' | 'realtime';
const cameraFps = Number(arg('fps', '240'));
const inProcess = process.argv.includes('--in-process');
const sessionsArg = arg('sessions', 'auto');
const sessions: number | 'auto' = sessionsArg === 'auto' ? 'auto' : Number(sessionsArg);
const threadsArg = arg('threads');
const intraOpThreads = threadsArg === undefined ? undefined : Number(threadsArg);
if (intraOpThreads !== undefined && !(Number.isInteger(intraOpThreads) && intraOpThreads >= 1))
  throw new Error(`--threads must be a positive integer, got ${threadsArg}`);
const jsonOut = arg('json');
// An explicit --threshold wins: without --package it goes into the tiny model's manifest, with one onto every camera.
const thresholdMode = arg('thresholds', arg('threshold') ? 'manifest' : 'calibrated');
if (thresholdMode !== 'calibrated' && thresholdMode !== 'manifest')
  throw new Error(`--thresholds must be calibrated or manifest, got ${thresholdMode}`);
const WARM_UP_S = 3;

const dir = mkdtempSync(join(tmpdir(), 'lw-bench-agent-'));
const load = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);
const rssMbNow = (): number => process.memoryUsage().rss / 2 ** 20;
/** RSS with the main isolate's JS heap and ArrayBuffer/external memory, to tell where growth would be. */
interface Sample {
  s: number;
  mb: number;
  heapMb: number;
  externalMb: number;
}
const sample = (s: number): Sample => {
  const m = process.memoryUsage();
  const mb = (x: number): number => Math.round((x / 2 ** 20) * 10) / 10;
  return { s, mb: mb(m.rss), heapMb: mb(m.heapUsed), externalMb: mb(m.external) };
};
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

/** The default (cpu preset) model where `npm run bench:accuracy` left it, with its development key. */
const ACCURACY_PACKAGE = fileURLToPath(new URL('../../../dist/bench-accuracy/normal', import.meta.url));
const ACCURACY_KEY = fileURLToPath(
  new URL('../../../dist/bench-accuracy/dev-keys/signing-key.pub.pem', import.meta.url),
);

async function packagePath(): Promise<{ path: string; keyPath: string; label: string }> {
  const given = arg('package');
  if (given) return { path: given, keyPath: arg('key') ?? '', label: given };
  if (existsSync(join(ACCURACY_PACKAGE, 'manifest.json')) && existsSync(ACCURACY_KEY)) {
    return { path: ACCURACY_PACKAGE, keyPath: ACCURACY_KEY, label: ACCURACY_PACKAGE };
  }
  const keys = makeKeys(dir);
  const pkg = await makePackage(keys, {
    version: '1.0.0',
    build: 1,
    size,
    threshold: Number(arg('threshold', '0.65')),
  });
  const path = join(dir, 'bench.tar.gz');
  writeFileSync(path, pkg.tar);
  return {
    path,
    keyPath: keys.publicKeyPath,
    label: `tiny ${size}x${size} (no --package, no dist/bench-accuracy/normal)`,
  };
}

interface Bare {
  /** Per-run durations of every bare slice: the machine's own jitter, next to the pipeline's latency. */
  readonly lat: LatencyWindow;
  run(secs: number): Promise<{ runs: number; ms: number }>;
  release(): Promise<void>;
}

interface BareSession extends Bare {
  /** The model's image score for one frame (manifest preprocessing), to calibrate thresholds with. */
  score(img: RgbImage): Promise<number>;
}

/** Bare `session.run` on this thread, back to back, on a fixed input: the ceiling the agent is measured against. */
async function openBare(pkgPath: string, keyPath: string): Promise<BareSession> {
  const v = verifyEntries(readPackage(pkgPath), [loadPublicKey(keyPath)]);
  const s = await InferenceSession.open(v.files.get(MODEL_FILE)!, { executionProviders: providers });
  const { width, height, channels } = v.manifest.input;
  const input = float32(new Float32Array(channels * width * height).fill(0.1), [1, channels, height, width]);
  await s.warmUp(2);
  const lat = new LatencyWindow(1 << 20);
  const settings = settingsFromManifest(v.manifest);
  const buf = new Float32Array(channels * width * height);
  return {
    lat,
    async score(img) {
      const out = await s.run({ image: float32(preprocessInto(buf, img, settings), [1, channels, height, width]) });
      return Number(out['score']!.data[0]);
    },
    async run(secs) {
      let runs = 0;
      const t0 = performance.now();
      const end = t0 + secs * 1000;
      for (let t = t0; t < end;) {
        await s.run({ image: input });
        const now = performance.now();
        lat.add(now - t);
        t = now;
        runs++;
      }
      return { runs, ms: performance.now() - t0 };
    },
    release: () => s.release(),
  };
}

/**
 * The agent's own session pool (same plan: sessions × threads, worker threads), kept saturated with a frame already
 * at the model's input size (so preprocessing is a copy) and no cameras or MQTT: the ceiling of the agent's inference
 * design, reported beside plain `session.run`.
 */
async function openBarePool(pkgPath: string, keyPath: string): Promise<Bare & { plan: string }> {
  const v = verifyEntries(readPackage(pkgPath), [loadPublicKey(keyPath)]);
  const preprocess = settingsFromManifest(v.manifest);
  const { runner, plan } = await openPool(
    threadedOpener,
    v.files.get(MODEL_FILE)!,
    { executionProviders: providers, preprocess, ...(intraOpThreads ? { intraOpThreads } : {}) },
    sessions,
  );
  const { width, height } = v.manifest.input;
  const k = runner.parallelism ?? 1;
  const lat = new LatencyWindow(1 << 20);
  const runFor = async (secs: number): Promise<{ runs: number; ms: number }> => {
    let runs = 0;
    const t0 = performance.now();
    const end = t0 + secs * 1000;
    const lane = async (): Promise<void> => {
      let pixels: Uint8Array = new Uint8Array(width * height * 3).fill(26);
      for (let t = performance.now(); t < end;) {
        const out = await runner.run({ pixels, width, height });
        if (!out.ok) throw new Error(out.reason);
        pixels = out.pixels;
        const now = performance.now();
        lat.add(now - t);
        t = now;
        runs++;
      }
    };
    await Promise.all(Array.from({ length: k }, lane));
    return { runs, ms: performance.now() - t0 };
  };
  await runFor(0.5);
  lat.reset();
  return {
    lat,
    run: runFor,
    release: () => runner.release(),
    plan: `${plan.sessions} session(s) x ${plan.intraOpThreads ?? 'default'} thread(s)`,
  };
}

/**
 * Wraps cameras so the bench can shut them: while shut, pulls are held back, and a frame a camera pushes anyway (an
 * on-demand camera's frame delayed by its fps ceiling, a realtime camera's tick) is kept, newest only, and delivered
 * on reopening — discarding it would leave the pipeline waiting for a frame it had already asked for.
 */
class Gate {
  open = true;
  private readonly held = new Set<() => void>(); // one per camera however often it was asked
  private readonly frames = new Map<FrameSink, RgbImage>();
  wrap(src: FrameSource): FrameSource {
    return {
      camera: src.camera,
      width: src.width,
      height: src.height,
      fps: src.fps,
      stop: () => src.stop(),
      start: (sink: FrameSink) => {
        const gated: FrameSink = {
          frame: (img) => {
            if (this.open) sink.frame(img);
            else this.frames.set(sink, img);
          },
          problem: (code, message) => sink.problem(code, message),
          recovered: () => sink.recovered(),
          ...(sink.pullWith
            ? {
                pullWith: (pull: () => void) =>
                  sink.pullWith!(() => {
                    if (this.open) pull();
                    else this.held.add(pull);
                  }),
              }
            : {}),
        };
        src.start(gated);
      },
    };
  }
  set(open: boolean): void {
    this.open = open;
    if (!open) return;
    const frames = [...this.frames];
    this.frames.clear();
    for (const [sink, img] of frames) sink.frame(img);
    const pulls = [...this.held];
    this.held.clear();
    for (const pull of pulls) pull();
  }
}

interface E2eResult {
  cameras: number;
  fps: number;
  bareFps?: number;
  barePoolFps?: number;
  p50Ms: number;
  p99Ms: number;
  framesDropped: number;
  framesDelivered: number;
  scoresReceived: number;
  events: number;
  provider: string;
  seconds: number;
  sliceRatios?: number[];
  eventLoopDelayP99Ms?: number;
  eventLoopDelayMaxMs?: number;
  rss?: {
    startMb: number;
    maxMb: number;
    finalMb: number;
    slopeMbPerMin: number;
    heapUsedMb: number;
    externalMb: number;
    timeline: Sample[];
  };
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}

/** "version (preset, W×H)" from a package directory's manifest; undefined for a tarball. */
function version(pkg: string): string | undefined {
  if (!statSync(pkg).isDirectory()) return undefined;
  const m = JSON.parse(readFileSync(join(pkg, 'manifest.json'), 'utf8')) as {
    version: string;
    preset?: string;
    input: { width: number; height: number };
  };
  return `${m.version} (${m.preset ?? 'no'} preset, ${m.input.width}x${m.input.height})`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const DISTINCT_FRAMES = 16;
const DEFECT_RATE = 0.1;
const SEED = 1; // the config's default synthetic seed

/** Per camera: just above the highest score among its normal frames (see the header). */
async function calibrate(bare: BareSession, cameras: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < cameras; i++) {
    const src = new SyntheticSource({
      camera: `cam-${i + 1}`,
      width: fw,
      height: fh,
      fps: cameraFps,
      seed: SEED,
      defectRate: DEFECT_RATE,
      distinctFrames: DISTINCT_FRAMES,
    });
    let max = 0;
    for (let k = 0; k < src.distinctFrames; k++)
      if (!src.isDefective(k)) max = Math.max(max, await bare.score(src.frameAt(k)));
    out.push(max * 1.001);
  }
  return out;
}

/**
 * One agent with `cameras` cameras. With `bare`, `runSeconds` of end-to-end time is cut into slices alternating
 * with bare slices; without, it runs straight through (the soak) and RSS is sampled every 5 s.
 */
async function e2e(
  cameras: number,
  pkgPath: string,
  keyPath: string,
  runSeconds: number,
  thresholds: readonly number[] | undefined,
  bare: Bare | undefined,
  pool?: Bare,
): Promise<E2eResult> {
  const broker = await aedesBroker();
  await broker.start();
  const address = { site: 'bench', line: 'l1', device: 'bench-1' };
  const ctrl = new TestController(broker.url, address, true);
  await ctrl.start();
  const threshold = arg('threshold');
  const distinctFrames = DISTINCT_FRAMES;
  const config = parseConfig({
    ...address,
    broker: { url: broker.url },
    cameras: Array.from({ length: cameras }, (_, i) => ({
      id: `cam-${i + 1}`,
      source: {
        kind: 'synthetic',
        width: fw,
        height: fh,
        fps: cameraFps,
        seed: SEED,
        distinctFrames,
        defectRate: DEFECT_RATE,
        pace,
      },
      ...(threshold && arg('package')
        ? { threshold: Number(threshold) }
        : thresholds
          ? { threshold: thresholds[i]! }
          : {}),
    })),
    inference: {
      executionProviders: providers,
      warmUpRuns: 2,
      sessions,
      ...(intraOpThreads ? { intraOpThreads } : {}),
    },
    model: { trustedKeyPath: keyPath, initialPackage: pkgPath },
    dataDir: join(dir, `data-${cameras}-${Date.now()}`),
    healthIntervalS: 5,
    logLevel: 'warn',
  });
  const lat = new LatencyWindow(1 << 20);
  let counting = false;
  let frames = 0;
  let sliceStart: number | undefined;
  const gate = new Gate();
  const agent = await build({
    config,
    sourceFactory: (cam: CameraConfig, cfg: AgentConfig) => gate.wrap(createSource(cam, cfg)),
    ...(inProcess ? { sessionOpener: inProcessOpener } : {}),
    onScored: (_cam, frame) => {
      if (!counting) return;
      const now = performance.now();
      // A slice's clock starts at its first result, so refilling the pipeline after a bare slice is not counted.
      if (sliceStart === undefined) {
        sliceStart = now;
        return;
      }
      frames++;
      lat.add(now - frame.t0);
    },
  });
  agent.start();
  // Warm-up: JIT, connect, and every distinct synthetic frame rendered once (tens of ms each, on this thread).
  const cams = (): { dropped: number; delivered: number; min: number } =>
    [...agent.pipeline.cameras.values()].reduce(
      (a, c) => ({
        dropped: a.dropped + c.slot.dropped,
        delivered: a.delivered + c.slot.delivered,
        min: Math.min(a.min, c.slot.delivered),
      }),
      { dropped: 0, delivered: 0, min: Infinity },
    );
  const warmEnd = Date.now() + 60_000;
  while (cams().min < distinctFrames + 2 && Date.now() < warmEnd) await sleep(100);
  await sleep(WARM_UP_S * 1000);
  const before = cams();
  const scores0 = ctrl.scoreCount;
  const timeline: Sample[] = [];
  const t0 = performance.now();
  let e2eMs = 0;
  let bareRuns = 0;
  let bareMs = 0;
  let poolRuns = 0;
  let poolMs = 0;
  const sliceRatios: number[] = [];
  // How long the main thread (cameras, MQTT, acks, timers) was blocked at a time during the end-to-end slices.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  if (bare) {
    // Alternate: cameras shut → drain → bare slice → cameras open → e2e slice.
    const slices = Math.max(1, Math.round(runSeconds / slice));
    for (let i = 0; i < slices; i++) {
      gate.set(false);
      await sleep(200); // frames in flight finish; the pipeline idles
      const b = await bare.run(slice / 2);
      bareRuns += b.runs;
      bareMs += b.ms;
      if (pool) {
        const q = await pool.run(slice / 2);
        poolRuns += q.runs;
        poolMs += q.ms;
      }
      const f0 = frames;
      sliceStart = undefined;
      counting = true;
      gate.set(true);
      loopDelay.enable();
      await sleep(slice * 1000);
      loopDelay.disable();
      counting = false;
      const ms = sliceStart === undefined ? 0 : performance.now() - sliceStart;
      e2eMs += ms;
      if (ms > 0) sliceRatios.push(round((frames - f0) / ms / (b.runs / b.ms), 3));
    }
  } else {
    sliceStart = performance.now();
    counting = true;
    timeline.push(sample(0));
    const end = t0 + runSeconds * 1000;
    while (performance.now() < end) {
      await sleep(Math.min(5000, end - performance.now()));
      timeline.push(sample(Math.round((performance.now() - t0) / 1000)));
    }
    counting = false;
    e2eMs = performance.now() - t0;
  }
  const after = cams();
  const mem = process.memoryUsage();
  const provider = agent.pipeline.model.provider;
  await agent.stop();
  const scoresReceived = ctrl.scoreCount - scores0;
  await ctrl.stop();
  await broker.stop();
  const p = lat.percentiles();
  const r: E2eResult = {
    cameras,
    fps: round(frames / (e2eMs / 1000)),
    ...(bare ? { bareFps: round(bareRuns / (bareMs / 1000)), sliceRatios } : {}),
    ...(pool && poolMs > 0 ? { barePoolFps: round(poolRuns / (poolMs / 1000)) } : {}),
    p50Ms: round(p.p50, 2),
    p99Ms: round(p.p99, 2),
    ...(bare
      ? {
          eventLoopDelayP99Ms: round(loopDelay.percentile(99) / 1e6, 1),
          eventLoopDelayMaxMs: round(loopDelay.max / 1e6, 1),
        }
      : {}),
    framesDropped: after.dropped - before.dropped,
    framesDelivered: after.delivered - before.delivered,
    scoresReceived,
    events: ctrl.eventCount,
    provider,
    seconds: round(e2eMs / 1000),
  };
  if (!bare) {
    // Growth is judged on the second half: the first minutes include allocator and JIT settling.
    const elapsed = e2eMs / 1000;
    const half = timeline.filter((t) => t.s >= elapsed / 2);
    r.rss = {
      startMb: timeline[0]!.mb,
      maxMb: Math.max(...timeline.map((t) => t.mb)),
      finalMb: timeline.at(-1)!.mb,
      slopeMbPerMin: round(
        slope(
          half.map((t) => t.s / 60),
          half.map((t) => t.mb),
        ),
        2,
      ),
      heapUsedMb: round(mem.heapUsed / 2 ** 20),
      externalMb: round(mem.external / 2 ** 20),
      timeline: timeline.filter((_, i) => i % 6 === 0 || i === timeline.length - 1), // every 30 s
    };
  }
  return r;
}

async function main(): Promise<void> {
  const { path, keyPath, label } = await packagePath();
  const bare = await openBare(path, keyPath);
  const pool = inProcess ? undefined : await openBarePool(path, keyPath);
  const maxCameras = Math.max(1, ...cameraCounts, ...lineRateSpecs.map((l) => l.cameras));
  const thresholds = thresholdMode === 'calibrated' ? await calibrate(bare, maxCameras) : undefined;
  const runs = [];
  for (const cameras of cameraCounts) {
    const loadBefore = load();
    bare.lat.reset();
    pool?.lat.reset();
    const r = await e2e(cameras, path, keyPath, seconds, thresholds, bare, pool);
    const bareFps = r.bareFps!;
    const bp = bare.lat.percentiles();
    const pp = pool?.lat.percentiles();
    const run = {
      ...r,
      bareFps,
      ratio: round(r.fps / bareFps, 3),
      ...(r.barePoolFps ? { ratioToPool: round(r.fps / r.barePoolFps, 3) } : {}),
      p99OverP50: round(r.p99Ms / r.p50Ms, 2),
      bareRunP50Ms: round(bp.p50, 2),
      bareRunP99Ms: round(bp.p99, 2),
      bareRunP99OverP50: round(bp.p99 / bp.p50, 2),
      ...(pp && pp.count > 0
        ? {
            poolRunP50Ms: round(pp.p50, 2),
            poolRunP99Ms: round(pp.p99, 2),
            poolRunP99OverP50: round(pp.p99 / pp.p50, 2),
          }
        : {}),
      loadavgBefore: loadBefore,
      loadavgAfter: load(),
    };
    runs.push(run);
    process.stderr.write(
      `[bench:agent] ${cameras} camera(s): ${r.fps.toFixed(1)} fps e2e vs bare ${bareFps.toFixed(1)} = ${run.ratio.toFixed(3)}× (pool ${r.barePoolFps ?? '-'}) (slices ${r.sliceRatios!.join(' ')}), p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms (${run.p99OverP50}×; bare run ${run.bareRunP50Ms}/${run.bareRunP99Ms} ms, ${run.bareRunP99OverP50}×; pool run ${run.poolRunP50Ms ?? '-'}/${run.poolRunP99Ms ?? '-'} ms, ${run.poolRunP99OverP50 ?? '-'}×), event-loop delay p99 ${r.eventLoopDelayP99Ms} ms, ${r.framesDropped} dropped, ${r.events} events, load ${run.loadavgAfter.join(' ')}\n`,
    );
  }
  // What the box scores flat out, to state each paced run's load against: the throughput runs' bare fps if any ran.
  // Or given (--capacity-fps): a figure measured on a quiet box, when this run's own would be skewed.
  const given = arg('capacity-fps');
  let capacityFps = given ? Number(given) : runs.length > 0 ? Math.max(...runs.map((r) => r.bareFps)) : undefined;
  if (capacityFps === undefined && lineRateSpecs.length > 0) {
    const b = await bare.run(2);
    capacityFps = b.runs / (b.ms / 1000);
  }
  await pool?.release();
  await bare.release();
  // Paced cameras at their real fps (the line's steady state): latency and where its tail comes from.
  const lineRateRuns = await lineRate(lineRateSpecs, {
    pkgPath: path,
    keyPath,
    thresholds:
      arg('threshold') && arg('package')
        ? Array.from({ length: maxCameras }, () => Number(arg('threshold')))
        : thresholds,
    providers,
    sessions,
    intraOpThreads,
    frame: [fw, fh],
    seconds: lineSeconds,
    warmUpS: WARM_UP_S,
    phase,
    dataDir: dir,
    ...(inProcess ? { sessionOpener: inProcessOpener } : {}),
    seed: SEED,
    defectRate: DEFECT_RATE,
    distinctFrames: DISTINCT_FRAMES,
    capacityFps,
  }); // the soak's RSS is the agent's (plus the in-process broker), not the bare session's
  let soak: (E2eResult & { loadavgBefore: number[]; loadavgAfter: number[] }) | undefined;
  if (rssSeconds > 0) {
    const loadBefore = load();
    const r = await e2e(Math.max(...cameraCounts), path, keyPath, rssSeconds, thresholds, undefined);
    soak = { ...r, loadavgBefore: loadBefore, loadavgAfter: load() };
    process.stderr.write(
      `[bench:agent] soak ${r.cameras} cameras ${rssSeconds} s: ${r.fps.toFixed(1)} fps, p50 ${r.p50Ms.toFixed(1)} / p99 ${r.p99Ms.toFixed(1)} ms, RSS start ${r.rss!.startMb} / max ${r.rss!.maxMb} / final ${r.rss!.finalMb} MB, slope ${r.rss!.slopeMbPerMin} MB/min (2nd half)\n`,
    );
  }
  const result = {
    bench: 'agent',
    model: label,
    modelVersion: version(path),
    providers,
    frame: `${fw}x${fh}`,
    camera: { kind: 'synthetic', pace, fps: cameraFps, distinctFrames: DISTINCT_FRAMES, defectRate: DEFECT_RATE },
    thresholds:
      arg('threshold') && arg('package')
        ? `--threshold ${arg('threshold')} for every camera`
        : thresholds
          ? {
              mode: "calibrated: 1.001 × the highest score among each camera's normal frames",
              values: thresholds.map((t) => round(t, 3)),
            }
          : "the model manifest's",
    inference: inProcess ? 'main thread (--in-process)' : `worker threads: ${pool?.plan ?? ''}`,
    seconds,
    slice,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown' },
    runs,
    lineRate: lineRateRuns,
    ...(soak ? { soak } : {}),
    // With --rss-seconds: RSS at the end of the soak run; otherwise at the end of the last run.
    rssMb: Math.round(soak?.rss?.finalMb ?? rssMbNow()),
    ...(soak?.rss ? { rssMbMax: soak.rss.maxMb, rssSlopeMbPerMin: soak.rss.slopeMbPerMin, rssSeconds } : {}),
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
    rmSync(dir, { recursive: true, force: true });
  });
