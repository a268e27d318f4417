/**
 * Seeded, stratified paired bootstrap: resample items with replacement within each class (so every resample keeps
 * the class sizes and both classes stay present), evaluate a statistic of the resampled items, and report the
 * percentile interval. Same seed, same items, same resample count → the same interval, bit for bit.
 */
import { MetricsError, MetricsErrorCodes } from './errors.js';
import { quantile } from './threshold.js';
import type { Interval } from './intervals.js';

/** mulberry32: small, fast, good enough for resampling indices; deterministic across platforms. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BootstrapOptions {
  /** Number of resamples, default 2000. */
  readonly resamples?: number;
  /** Seed of the resampling, default 1. */
  readonly seed?: number;
  readonly confidence?: number;
}

export interface BootstrapInterval extends Interval {
  /** The statistic on the original items. */
  readonly estimate: number;
  readonly resamples: number;
  readonly seed: number;
  readonly confidence: number;
}

/**
 * Percentile interval of `statistic(indices)` over stratified resamples of item indices. `strata[i]` is item i's
 * class (any integer); the statistic sees a list of item indices (with repeats).
 */
export function pairedBootstrap(
  strata: ArrayLike<number>,
  statistic: (indices: readonly number[]) => number,
  options: BootstrapOptions = {},
): BootstrapInterval {
  const resamples = options.resamples ?? 2000;
  const seed = options.seed ?? 1;
  const confidence = options.confidence ?? 0.95;
  if (!(Number.isInteger(resamples) && resamples >= 10))
    throw new MetricsError(MetricsErrorCodes.BAD_ARGUMENT, `resamples must be an integer ≥ 10, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1))
    throw new MetricsError(MetricsErrorCodes.BAD_ARGUMENT, `confidence must be in (0, 1), got ${confidence}`);
  if (strata.length === 0) throw new MetricsError(MetricsErrorCodes.EMPTY, 'no items to resample');
  const groups = new Map<number, number[]>();
  for (let i = 0; i < strata.length; i++) {
    const g = groups.get(strata[i]!) ?? [];
    g.push(i);
    groups.set(strata[i]!, g);
  }
  const all = Array.from({ length: strata.length }, (_, i) => i);
  const random = seededRandom(seed);
  const values = new Float64Array(resamples);
  const picked = new Array<number>(strata.length);
  for (let r = 0; r < resamples; r++) {
    let k = 0;
    for (const g of groups.values())
      for (let j = 0; j < g.length; j++) picked[k++] = g[Math.floor(random() * g.length)]!;
    values[r] = statistic(picked);
  }
  const alpha = (1 - confidence) / 2;
  return {
    estimate: statistic(all),
    lo: quantile(values, alpha),
    hi: quantile(values, 1 - alpha),
    resamples,
    seed,
    confidence,
  };
}
