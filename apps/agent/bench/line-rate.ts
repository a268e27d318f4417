/**
 * The bench's `lineRate` block: the agent with cameras paced at their real fps (a line's steady state, well under
 * capacity), and where each frame's frame-in → verdict time went.
 *
 * Latency is the agent's own definition (health's p50/p99): from the frame landing in its camera's slot to the score
 * being handed to MQTT (the `scored` hook, right after the verdict is known). Per frame the bench also splits it:
 * `wait` (slot → handed to a session: waiting for a free session), `transit` (to the worker, its queue, back to the
 * main thread, receiving the reply), `pre` and `run` (measured in the worker), `after` (main thread: ordering,
 * publishing). The `tail` block is the mean split of the slowest 1 % of frames next to the median split of all, so a
 * tail names its stage; main-thread GC pauses and flagged-frame encodes in flight are counted against tail frames.
 */
import { PerformanceObserver, constants, monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import type { ExecutionProvider } from '@linewatch/protocol';
import { build } from '../src/agent.js';
import { parseConfig } from '../src/config.js';
import type { CameraConfig } from '../src/config.js';
import type { InferenceResult, SessionOpener } from '../src/model/loaded-model.js';
import type { Frame } from '../src/sources/frame.js';
import { startBrokerThread } from './broker-thread.js';
import { PacedCamera, cameraClocks } from './paced-camera.js';
import type { CameraClock, Phase } from './paced-camera.js';

export interface LineRateSpec {
  readonly cameras: number;
  readonly fps: number;
}

/** "1x25,4x25" → specs; "none" → none. */
export function parseLineRate(text: string): LineRateSpec[] {
  if (text === 'none' || text === '') return [];
  return text.split(',').map((part) => {
    const m = /^(\d+)x(\d+(?:\.\d+)?)$/.exec(part.trim());
    if (!m || Number(m[1]) < 1 || !(Number(m[2]) > 0))
      throw new Error(`--line-rate wants CAMERASxFPS[,…] (e.g. 1x25,4x25) or none, got "${part}"`);
    return { cameras: Number(m[1]), fps: Number(m[2]) };
  });
}

export interface LineRateContext {
  readonly pkgPath: string;
  readonly keyPath: string;
  /** Per camera, index-aligned (cam-1 …); undefined = the manifest's. */
  readonly thresholds: readonly number[] | undefined;
  readonly providers: readonly ExecutionProvider[];
  readonly sessions: number | 'auto';
  readonly intraOpThreads: number | undefined;
  readonly frame: readonly [number, number];
  readonly seconds: number;
  readonly warmUpS: number;
  readonly phase: Phase;
  readonly dataDir: string;
  readonly sessionOpener?: SessionOpener;
  readonly seed: number;
  readonly defectRate: number;
  readonly distinctFrames: number;
  /** What the box scores flat out (bare `session.run` fps), to state each run's load as a fraction of it. */
  readonly capacityFps: number | undefined;
}

interface Split {
  totalMs: number;
  waitMs: number;
  transitMs: number;
  preMs: number;
  runMs: number;
  afterMs: number;
}

interface Sample extends Split {
  t0: number;
  doneAt: number;
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const load = (): number[] => loadavg().map((x) => round(x));

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function splitOf(frame: Frame, r: InferenceResult, doneAt: number): Sample {
  const totalMs = doneAt - frame.t0;
  const startedAt = r.startedAt ?? frame.t0;
  const preMs = r.timing?.preMs ?? 0;
  const runMs = r.timing?.runMs ?? r.ms;
  return {
    t0: frame.t0,
    doneAt,
    totalMs,
    waitMs: startedAt - frame.t0,
    transitMs: r.ms - preMs - runMs,
    preMs,
    runMs,
    afterMs: totalMs - (startedAt - frame.t0) - r.ms,
  };
}

const STAGES = ['waitMs', 'transitMs', 'preMs', 'runMs', 'afterMs'] as const;

function medianSplit(samples: readonly Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of STAGES)
    out[k] = round(
      quantile(
        [...samples.map((s) => s[k])].sort((a, b) => a - b),
        0.5,
      ),
    );
  return out;
}

function meanSplit(samples: readonly Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of STAGES) out[k] = round(samples.reduce((a, s) => a + s[k], 0) / Math.max(1, samples.length));
  return out;
}

/** Main-thread GC pauses while the run is measured. */
interface GcPause {
  start: number;
  end: number;
  /** V8's GC kind (perf_hooks constants): 1 minor (scavenge), 4 major (mark-compact), 8 incremental, 16 weak cb. */
  kind: number;
}

function watchGc(): { pauses: GcPause[]; stop(): void } {
  const pauses: GcPause[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      pauses.push({ start: e.startTime, end: e.startTime + e.duration, kind });
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return { pauses, stop: () => obs.disconnect() };
}

const overlaps = (a: { t0: number; doneAt: number }, b: { start: number; end: number }): boolean =>
  b.start < a.doneAt && b.end > a.t0;

/** One paced run: an agent with `spec.cameras` cameras at `spec.fps` each, measured for `ctx.seconds`. */
export async function lineRateRun(spec: LineRateSpec, ctx: LineRateContext): Promise<Record<string, unknown>> {
  const loadavgBefore = load();
  // Broker and controller in a thread of their own (broker-worker.ts says why).
  const broker = await startBrokerThread();
  const address = { site: 'bench', line: 'l1', device: 'bench-line' };
  const [width, height] = ctx.frame;
  // Neighbouring cameras drift one period apart over warm-up + measurement (see paced-camera.ts).
  const clocks = cameraClocks(ctx.phase, spec.cameras, spec.fps, ctx.seconds + ctx.warmUpS);
  const cams = new Map<string, PacedCamera>();
  for (let i = 0; i < spec.cameras; i++) {
    const id = `cam-${i + 1}`;
    const cam = new PacedCamera({
      camera: id,
      width,
      height,
      fps: spec.fps,
      seed: ctx.seed,
      defectRate: ctx.defectRate,
      distinctFrames: ctx.distinctFrames,
      clock: clocks[i]!,
    });
    cams.set(id, cam);
  }
  const config = parseConfig({
    ...address,
    broker: { url: broker.url },
    cameras: [...cams.keys()].map((id, i) => ({
      id,
      source: { kind: 'synthetic', width, height, fps: spec.fps, seed: ctx.seed, pace: 'realtime' },
      ...(ctx.thresholds ? { threshold: ctx.thresholds[i % ctx.thresholds.length]! } : {}),
    })),
    inference: {
      executionProviders: [...ctx.providers],
      warmUpRuns: 2,
      sessions: ctx.sessions,
      ...(ctx.intraOpThreads ? { intraOpThreads: ctx.intraOpThreads } : {}),
    },
    model: { trustedKeyPath: ctx.keyPath, initialPackage: ctx.pkgPath },
    dataDir: join(ctx.dataDir, `line-${spec.cameras}x${spec.fps}-${Date.now()}`),
    healthIntervalS: 5,
    logLevel: 'warn',
  });
  const samples: Sample[] = [];
  const flaggedAt: number[] = [];
  let counting = false;
  const agent = await build({
    config,
    sourceFactory: (cam: CameraConfig) => cams.get(cam.id)!,
    ...(ctx.sessionOpener ? { sessionOpener: ctx.sessionOpener } : {}),
    onScored: (camera, frame, result) => {
      if (!counting) return;
      const doneAt = performance.now();
      samples.push(splitOf(frame, result, doneAt));
      if (result.score > agent.pipeline.threshold(camera)) flaggedAt.push(doneAt);
    },
  });
  agent.start();
  await new Promise((r) => setTimeout(r, ctx.warmUpS * 1000));
  const slots = (): { dropped: number; delivered: number; invalid: number } =>
    [...agent.pipeline.cameras.values()].reduce(
      (a, c) => ({
        dropped: a.dropped + c.slot.dropped,
        delivered: a.delivered + c.slot.delivered,
        invalid: a.invalid + c.invalid,
      }),
      { dropped: 0, delivered: 0, invalid: 0 },
    );
  const before = slots();
  const events0 = (await broker.counts()).events;
  for (const c of cams.values()) c.late.reset();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const gc = watchGc();
  loop.enable();
  const elu0 = performance.eventLoopUtilization();
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ctx.seconds * 1000));
  counting = false;
  const mainBusy = performance.eventLoopUtilization(elu0).utilization;
  const elapsedS = (performance.now() - t0) / 1000;
  loop.disable();
  gc.stop();
  const after = slots();
  const events = (await broker.counts()).events - events0;
  const plan = agent.pipeline.model.plan;
  await agent.stop();
  await broker.stop();
  const late = [...cams.values()].map((c) => c.late.percentiles());
  return summarize(spec, ctx, {
    samples,
    flaggedAt,
    gcPauses: gc.pauses,
    dropped: after.dropped - before.dropped + (after.invalid - before.invalid),
    delivered: after.delivered - before.delivered,
    events,
    elapsedS,
    mainBusy,
    loopP99Ms: loop.percentile(99) / 1e6,
    loopMaxMs: loop.max / 1e6,
    tickLateP99Ms: Math.max(...late.map((l) => l.p99)),
    clocks,
    plan: `${plan.sessions} session(s) x ${plan.intraOpThreads ?? 'default'} thread(s)`,
    loadavgBefore,
  });
}

interface Raw {
  samples: Sample[];
  flaggedAt: number[];
  gcPauses: GcPause[];
  dropped: number;
  delivered: number;
  events: number;
  elapsedS: number;
  /** Event-loop utilisation of the main thread (0–1) while measured. */
  mainBusy: number;
  loopP99Ms: number;
  loopMaxMs: number;
  tickLateP99Ms: number;
  clocks: CameraClock[];
  plan: string;
  loadavgBefore: number[];
}

function gcKind(pauses: readonly GcPause[], kind: number): { count: number; totalMs: number; maxMs: number } {
  const ms = pauses.filter((p) => p.kind === kind).map((p) => p.end - p.start);
  return { count: ms.length, totalMs: round(ms.reduce((a, b) => a + b, 0)), maxMs: round(Math.max(0, ...ms)) };
}

/** The target: p99 ≤ 1.5 × p50 and no drop while the cameras ask for at most half of what the box scores. */
const TARGET_P99_OVER_P50 = 1.5;
const TARGET_MAX_LOAD_FRACTION = 0.5;

function target(ratio: number, dropped: number, loadFraction: number | undefined): Record<string, unknown> {
  const applies = loadFraction !== undefined && loadFraction <= TARGET_MAX_LOAD_FRACTION;
  return {
    p99OverP50Max: TARGET_P99_OVER_P50,
    droppedMax: 0,
    maxLoadFraction: TARGET_MAX_LOAD_FRACTION,
    // Where the box cannot score twice what the cameras send (a loaded shared machine), the target does not apply.
    applies,
    met: applies && ratio <= TARGET_P99_OVER_P50 && dropped === 0,
  };
}

/** A frame that waited this long between landing and a session taking it found every session busy. */
const WAITED_MS = 1;

/** An encode of a flagged frame counts as in flight for this long after its verdict (a 640×480 JPEG + map PNG). */
const ENCODE_WINDOW_MS = 30;

function summarize(spec: LineRateSpec, ctx: LineRateContext, raw: Raw): Record<string, unknown> {
  const totals = raw.samples.map((s) => s.totalMs).sort((a, b) => a - b);
  const p50 = quantile(totals, 0.5);
  const p99 = quantile(totals, 0.99);
  const tail = raw.samples.filter((s) => s.totalMs >= p99);
  // Queueing apart: frames that found every session busy, and the latency without that wait (the agent's own work).
  const waited = raw.samples.filter((s) => s.waitMs >= WAITED_MS).length;
  const service = raw.samples.map((s) => s.totalMs - s.waitMs).sort((a, b) => a - b);
  const gcInFlight = tail.filter((s) => raw.gcPauses.some((g) => overlaps(s, g))).length;
  const encodeInFlight = tail.filter((s) =>
    raw.flaggedAt.some((f) => f < s.doneAt && f + ENCODE_WINDOW_MS > s.t0),
  ).length;
  const gcMs = raw.gcPauses.map((g) => g.end - g.start);
  const totalFps = spec.cameras * spec.fps;
  return {
    cameras: spec.cameras,
    fps: spec.fps,
    p50Ms: round(p50),
    p99Ms: round(p99),
    p99OverP50: round(p99 / p50),
    waitedShare: round(waited / Math.max(1, raw.samples.length), 4),
    withoutWait: {
      p50Ms: round(quantile(service, 0.5)),
      p99Ms: round(quantile(service, 0.99)),
      p99OverP50: round(quantile(service, 0.99) / quantile(service, 0.5)),
    },
    dropped: raw.dropped,
    scored: raw.samples.length,
    delivered: raw.delivered,
    scoredFps: round(raw.samples.length / raw.elapsedS, 1),
    totalFps,
    ...(ctx.capacityFps
      ? { capacityFps: round(ctx.capacityFps, 1), loadFraction: round(totalFps / ctx.capacityFps) }
      : {}),
    target: target(p99 / p50, raw.dropped, ctx.capacityFps ? totalFps / ctx.capacityFps : undefined),
    maxMs: round(totals.at(-1) ?? 0),
    phase: ctx.phase,
    cameraClocks: raw.clocks.map((c) => ({ offsetMs: round(c.offsetMs, 1), fps: round(c.fps, 3) })),
    plan: raw.plan,
    events: raw.events,
    split: { median: medianSplit(raw.samples), tail: meanSplit(tail), tailFrames: tail.length },
    tailWithMainGc: gcInFlight,
    tailWithEncode: encodeInFlight,
    mainGc: {
      count: gcMs.length,
      totalMs: round(gcMs.reduce((a, b) => a + b, 0)),
      maxMs: round(Math.max(0, ...gcMs)),
      major: gcKind(raw.gcPauses, constants.NODE_PERFORMANCE_GC_MAJOR),
      tailFramesWithMajor: tail.filter((s) =>
        raw.gcPauses.some((g) => g.kind === constants.NODE_PERFORMANCE_GC_MAJOR && overlaps(s, g)),
      ).length,
    },
    mainThreadBusy: round(raw.mainBusy, 3),
    eventLoopDelayP99Ms: round(raw.loopP99Ms, 1),
    eventLoopDelayMaxMs: round(raw.loopMaxMs, 1),
    cameraTickLateP99Ms: round(raw.tickLateP99Ms),
    seconds: round(raw.elapsedS, 1),
    loadavgBefore: raw.loadavgBefore,
    loadavgAfter: load(),
  };
}

/** Every spec in turn; a line per run on stderr as it finishes. */
export async function lineRate(
  specs: readonly LineRateSpec[],
  ctx: LineRateContext,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const spec of specs) {
    const r = await lineRateRun(spec, ctx);
    out.push(r);
    const s = r['split'] as { median: Record<string, number>; tail: Record<string, number> };
    process.stderr.write(
      `[bench:agent] line rate ${spec.cameras}x${spec.fps} fps (${ctx.phase}): p50 ${String(r['p50Ms'])} / p99 ${String(r['p99Ms'])} ms = ${String(r['p99OverP50'])}× (without waiting for a session ${JSON.stringify(r['withoutWait'])}, ${String(r['waitedShare'])} waited), ${String(r['dropped'])} dropped, ${String(r['events'])} events; median ${JSON.stringify(s.median)} tail ${JSON.stringify(s.tail)}; tail frames with main GC ${String(r['tailWithMainGc'])}, with an encode ${String(r['tailWithEncode'])}; loop p99 ${String(r['eventLoopDelayP99Ms'])} ms; load ${(r['loadavgAfter'] as number[]).join(' ')}\n`,
    );
  }
  return out;
}
