/**
 * Metrics over an evaluation run, overall and per defect type. Pixel metrics are at the model's input resolution
 * (see evaluate.ts); the overall pixel AUROC and AUPRO at the images' own resolution are reported beside them.
 * A per-type metric compares that type's anomalies with ALL normal images (the MVTec convention), so types are
 * comparable with each other and with the overall row. A metric that cannot be defined (one class missing, no pixel
 * truth) is null rather than a made-up number.
 *
 * Anomalies without a mask (image-level labels) count in the image metrics like any other. Pixel metrics need pixel
 * truth, so they are computed over the normal images and the anomalies that have a mask; `pixelMetricsReason` says
 * when that is not every anomaly — null pixel metrics when none has a mask, the masked subset (m of n) otherwise.
 */
import { aupro, auroc, f1Max, isMetricsError, pixelAuroc, quantile, type MapWithMask } from '@linewatch/metrics';
import type { Progress } from '../progress.js';
import { NORMAL } from './data.js';
import type { PixelTruth, SampleResult } from './evaluate.js';

export const AUPRO_MAX_FPR = 0.3;

export interface MetricSet {
  readonly imageAuroc: number | null;
  readonly pixelAuroc: number | null;
  readonly aupro: number | null;
}

export interface DefectMetrics extends MetricSet {
  /** Anomalous images of this type. */
  readonly count: number;
  /** null when every anomaly of this type has a mask; else why pixel metrics are null or cover only some of them. */
  readonly pixelMetricsReason: string | null;
}

export interface ScoreQuantiles {
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface EvalMetrics extends MetricSet {
  /** Overall pixel AUROC and AUPRO with maps stretched to each image's original size (large images weigh more). */
  readonly imageResolution: { readonly pixelAuroc: number | null; readonly aupro: number | null };
  readonly f1Max: number | null;
  /** Image score threshold achieving f1Max (anomalous when score >= threshold). */
  readonly threshold: number | null;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly normalScoreQuantiles: ScoreQuantiles | null;
  /** null when every anomalous image has a mask; else why pixel metrics are null or cover only some of them. */
  readonly pixelMetricsReason: string | null;
  readonly perDefect: Readonly<Record<string, DefectMetrics>>;
  readonly counts: {
    readonly normal: number;
    readonly anomalous: number;
    readonly pixelLabelled: number;
    /** Anomalous images with an image-level label only: in the image metrics, not in the pixel metrics. */
    readonly anomalousWithoutMask: number;
  };
}

/** null when a metric is undefined for this data (single class, nothing to score); other errors propagate. */
function orNull<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch (e) {
    if (isMetricsError(e, 'LW_METRICS_SINGLE_CLASS') || isMetricsError(e, 'LW_METRICS_EMPTY')) return null;
    throw e;
  }
}

export function metricSet(results: readonly SampleResult[]): MetricSet {
  const imageAuroc = orNull(() =>
    auroc(
      results.map((r) => r.score),
      results.map((r) => r.label),
    ),
  );
  return { imageAuroc, ...pixelMetrics(results.flatMap((r) => (r.pixels ? [r.pixels] : []))) };
}

function pixelMetrics(px: readonly PixelTruth[]): { pixelAuroc: number | null; aupro: number | null } {
  const hasPositive = px.some((p) => p.mask.some((v) => v !== 0));
  if (!hasPositive) return { pixelAuroc: null, aupro: null };
  const samples: MapWithMask[] = px.map((p) => ({ scores: p.map, mask: p.mask, width: p.width, height: p.height }));
  return {
    pixelAuroc: orNull(() =>
      pixelAuroc(
        px.map((p) => p.map),
        px.map((p) => p.mask),
      ),
    ),
    aupro: orNull(() => aupro(samples, { maxFpr: AUPRO_MAX_FPR })),
  };
}

/**
 * null when every anomalous image has pixel truth (the pixel metrics cover them all). An anomaly without a mask has
 * `pixels === null` (evaluate() loads a mask for every anomaly that names one), and pixelMetrics() only sees the
 * samples with pixel truth, so with none masked the pixel metrics are null and with some they cover that subset.
 */
export function pixelMetricsReason(results: readonly SampleResult[]): string | null {
  const anomalous = results.filter((r) => r.label === 1);
  const masked = anomalous.filter((r) => r.pixels !== null).length;
  if (masked === anomalous.length) return null;
  if (masked === 0) return `no masks: none of the ${anomalous.length} anomalous images has one`;
  return `masked subset: ${masked} of ${anomalous.length} anomalous images have a mask (pixel metrics over those and the normal images)`;
}

export function defectTypes(results: readonly SampleResult[]): string[] {
  return [...new Set(results.filter((r) => r.label === 1).map((r) => r.sample.defectType))].sort();
}

/** That type's anomalous images plus every normal image. */
export function subsetFor(results: readonly SampleResult[], type: string): SampleResult[] {
  return results.filter((r) => r.label === 0 || r.sample.defectType === type);
}

export function scoreQuantiles(scores: readonly number[]): ScoreQuantiles | null {
  if (scores.length === 0) return null;
  return {
    p50: quantile(scores, 0.5),
    p90: quantile(scores, 0.9),
    p95: quantile(scores, 0.95),
    p99: quantile(scores, 0.99),
    max: Math.max(...scores),
  };
}

/**
 * Pixel metrics dominate the run time on real data (tens of millions of pixels, sorted once overall and once per
 * defect type), so they report progress too: one tick per row.
 */
export function computeMetrics(results: readonly SampleResult[], progress?: Progress): EvalMetrics {
  const types = defectTypes(results);
  progress?.start(types.length + 2, 'metrics');
  const overall = metricSet(results);
  progress?.tick(1, { done: 'overall' });
  const imageResolution = pixelMetrics(results.flatMap((r) => (r.imagePixels ? [r.imagePixels] : [])));
  progress?.tick(1, { done: 'image resolution' });
  const f1 = orNull(() =>
    f1Max(
      results.map((r) => r.score),
      results.map((r) => r.label),
    ),
  );
  const perDefect: Record<string, DefectMetrics> = {};
  for (const type of types) {
    const subset = subsetFor(results, type);
    perDefect[type === NORMAL ? `${type}-anomalous` : type] = {
      ...metricSet(subset),
      count: subset.filter((r) => r.label === 1).length,
      pixelMetricsReason: pixelMetricsReason(subset),
    };
    progress?.tick(1, { done: type });
  }
  progress?.done();
  return {
    ...overall,
    imageResolution,
    f1Max: f1?.f1 ?? null,
    threshold: f1?.threshold ?? null,
    precision: f1?.precision ?? null,
    recall: f1?.recall ?? null,
    normalScoreQuantiles: scoreQuantiles(results.filter((r) => r.label === 0).map((r) => r.score)),
    pixelMetricsReason: pixelMetricsReason(results),
    perDefect,
    counts: {
      normal: results.filter((r) => r.label === 0).length,
      anomalous: results.filter((r) => r.label === 1).length,
      pixelLabelled: results.filter((r) => r.pixels !== null).length,
      anomalousWithoutMask: results.filter((r) => r.label === 1 && r.pixels === null).length,
    },
  };
}
