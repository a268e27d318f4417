/**
 * Engine benchmark: one post-norm transformer encoder block (B=16, T=196, D=256, 8 heads, FFN 1024) trained with
 * AdamW through ORT. Reports forward ms, full step ms (forward + backward + AdamW), achieved GFLOP/s of the step
 * and ORT's own GEMM GFLOP/s measured in the same run as the ceiling.
 *
 * FLOP accounting (analytic, GEMMs only): forward = Q,K,V,O projections 4·2·N·D² + attention scores and context
 * 2·2·B·H·T²·dh + FFN 2·2·N·D·F with N = B·T. A training step is counted as 3× forward (forward + two GEMMs per
 * forward GEMM in backward), the usual convention; element-wise work, softmax, layer norm and AdamW are not counted.
 *
 * Usage: npm run bench:engine -- [--json out.json] [--threads 2] [--iters 7]
 */
import { writeFileSync } from 'node:fs';
import { Graph } from '../src/builder.js';
import { Rng } from '../src/init.js';
import { encoderBlock } from '../src/layers/transformer.js';
import { matmul, mul, reduceMean, sub } from '../src/ops/index.js';
import { exportModel } from '../src/onnx/serialize.js';
import { adamw } from '../src/optim/adamw.js';
import { createSession, ortTensor } from '../src/runtime/ort.js';
import { Trainer } from '../src/runtime/trainer.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const threads = Number(arg('threads') ?? 2);
const iters = Number(arg('iters') ?? 7);
const jsonPath = arg('json');

const B = 16;
const T = 196;
const D = 256;
const H = 8;
const F = 1024;
const N = B * T;
const forwardFlops = 4 * 2 * N * D * D + 2 * 2 * B * H * T * T * (D / H) + 2 * 2 * N * D * F;
const stepFlops = 3 * forwardFlops;

interface Timing {
  readonly min: number;
  readonly median: number;
  /** Median process CPU time (all ORT threads). Other processes' load barely moves it, unlike wall time. */
  readonly cpuMedian: number;
}

/**
 * The CPUs are shared, so the three workloads are measured interleaved (one of each per round, same load for
 * all) and summarised by the minimum (least-disturbed run), the median, and the median CPU time.
 */
async function interleaved(fns: readonly (() => Promise<unknown>)[], rounds: number): Promise<Timing[]> {
  for (const fn of fns) await fn(); // warm-up: allocations, first-run planning
  const times = fns.map(() => [] as number[]);
  const cpu = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < fns.length; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await fns[i]!();
      times[i]!.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu[i]!.push((c.user + c.system) / 1000);
    }
  }
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  return times.map((t, i) => ({ min: Math.min(...t), median: median(t), cpuMedian: median(cpu[i]!) }));
}

/** A 2048³ MatMul session: ORT's own GEMM throughput on this machine, the ceiling for the step. */
async function gemmRunner(): Promise<{ run: () => Promise<unknown>; flops: number; release: () => Promise<void> }> {
  const M = 2048;
  const g = new Graph({ seed: 1 });
  const a = g.input('a', [M, M]);
  const b = g.input('b', [M, M]);
  const model = exportModel({ graph: g, outputs: { c: matmul(a, b) }, paramsAs: 'inputs' });
  const session = await createSession(model.bytes, { threads });
  const r = new Rng(3);
  const feeds = {
    a: ortTensor(
      'float32',
      Float32Array.from({ length: M * M }, () => r.uniform(-1, 1)),
      [M, M],
    ),
    b: ortTensor(
      'float32',
      Float32Array.from({ length: M * M }, () => r.uniform(-1, 1)),
      [M, M],
    ),
  };
  return { run: () => session.run(feeds), flops: 2 * M * M * M, release: () => session.release() };
}

async function main(): Promise<void> {
  const g = new Graph({ seed: 1 });
  const x = g.input('x', [B, T, D]);
  const y = g.input('y', [B, T, D]);
  const out = encoderBlock(g, 'enc', x, { heads: H, ffn: F });
  const d = sub(out, y);
  const loss = reduceMean(mul(d, d));
  const buildStart = performance.now();
  const trainer = await Trainer.create({ graph: g, loss, optimizer: adamw(), threads });
  const buildMs = performance.now() - buildStart;
  const r = new Rng(7);
  const batch = {
    x: Float32Array.from({ length: N * D }, () => r.normal()),
    y: Float32Array.from({ length: N * D }, () => r.normal()),
  };
  const gemm = await gemmRunner();
  const [fwd, step, mm] = await interleaved(
    [() => trainer.evaluate(batch, ['loss']), () => trainer.step(batch, 1e-4), gemm.run],
    iters,
  );
  await gemm.release();
  const forwardMs = fwd!.min;
  const stepMs = step!.min;
  const gemmGflops = gemm.flops / (mm!.min * 1e6);
  const stats = trainer.stats;
  // The binding copies every output once (natively); time one copy of the carried state to put it in proportion.
  const probe = new Float32Array(stats.stateBytesPerStep / 4);
  const copyStart = performance.now();
  probe.slice();
  const stateCopyMs = performance.now() - copyStart;
  await trainer.release();

  const stepGflops = stepFlops / (stepMs * 1e6);
  const result = {
    config: { B, T, D, heads: H, ffn: F, threads, iters },
    forwardMs: round(forwardMs),
    stepMs: round(stepMs),
    medians: {
      forwardMs: round(fwd!.median),
      stepMs: round(step!.median),
      gemmMs: round(mm!.median),
      gemmMinMs: round(mm!.min),
    },
    // CPU-time view (process CPU ms per call, all threads): robust when other processes share the cores.
    cpu: {
      forwardMs: round(fwd!.cpuMedian),
      stepMs: round(step!.cpuMedian),
      gemmMs: round(mm!.cpuMedian),
      stepOverForward: round(step!.cpuMedian / fwd!.cpuMedian),
      stepFractionOfGemm: round(stepFlops / step!.cpuMedian / (gemm.flops / mm!.cpuMedian)),
    },
    stepOverForward: round(stepMs / forwardMs),
    forwardGflop: round(forwardFlops / 1e9),
    stepGflop: round(stepFlops / 1e9),
    forwardGflops: round(forwardFlops / (forwardMs * 1e6)),
    stepGflops: round(stepGflops),
    gemmGflops: round(gemmGflops),
    stepFractionOfGemm: round(stepGflops / gemmGflops),
    stateBytesPerStep: stats.stateBytesPerStep,
    jsCopiesPerStep: stats.jsCopiesPerStep,
    oneStateCopyMs: round(stateCopyMs),
    sessionBuildMs: round(buildMs),
    targets: { stepOverForwardMax: 3, stepFractionOfGemmMin: 0.35 },
  };
  console.table({
    'forward ms': result.forwardMs,
    'step ms (fwd+bwd+AdamW)': result.stepMs,
    'step / forward (target ≤ 3)': result.stepOverForward,
    'step GFLOP/s (3× fwd GEMM FLOPs)': result.stepGflops,
    'GEMM ceiling GFLOP/s (2048³ MatMul)': result.gemmGflops,
    'step / ceiling (target ≥ 0.35)': result.stepFractionOfGemm,
    'CPU-time step / forward': result.cpu.stepOverForward,
    'CPU-time step / ceiling': result.cpu.stepFractionOfGemm,
    'state bytes per step (1 binding copy)': result.stateBytesPerStep,
    'that copy, ms (memcpy estimate)': result.oneStateCopyMs,
    'JS copies per step': result.jsCopiesPerStep,
  });
  if (jsonPath) writeFileSync(jsonPath, JSON.stringify(result, null, 2) + '\n');
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

await main();
