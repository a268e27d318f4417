/**
 * Pixel AUROC of candidate vs parent with an interval: a paired, seeded image-level bootstrap (libs/metrics
 * pixelAurocDifference) over the held-out images that have pixel truth — the normals and the anomalies with a mask;
 * image-only anomalies have no pixels to rank. Maps are at the model's input resolution (what scoreHeldOut keeps),
 * so the cost stays bounded: one radix sort per model plus a pass over the anomalous pixels; the resamples only
 * re-weight per-image pair counts (libs/metrics README: 6.6 M pixels, 300 resamples ≈ 2.7 s on one shared core).
 */
import { MetricsErrorCodes, isMetricsError, pixelAurocDifference, type PixelMapPair } from '@linewatch/metrics';
import type { HeldOutComparison } from '@linewatch/protocol/http';
import type { PixelTruth } from '../eval/evaluate.js';

/** Resamples of the pixel bootstrap: a few hundred keep the 2.5/97.5 % percentiles stable to a few thousandths. */
export const PIXEL_BOOTSTRAP_RESAMPLES = 300;
/** Fixed seed: the same job on the same data reports the same interval. */
export const PIXEL_BOOTSTRAP_SEED = 1;

export type PixelComparison = NonNullable<HeldOutComparison['pixelAuroc']>;

/**
 * null when the held-out part lacks normals or masked anomalies (no pixel AUROC to compare). Candidate and parent
 * must have been scored on the same images in the same order (scoreHeldOut keeps the samples' order).
 */
export function comparePixels(
  candidate: readonly (PixelTruth | null)[],
  parent: readonly (PixelTruth | null)[],
  confidence: number,
  resamples = PIXEL_BOOTSTRAP_RESAMPLES,
): PixelComparison | null {
  const images: PixelMapPair[] = [];
  candidate.forEach((c, i) => {
    const p = parent[i];
    if (c && p) images.push({ mask: c.mask, candidate: c.map, parent: p.map });
  });
  try {
    const d = pixelAurocDifference(images, { resamples, seed: PIXEL_BOOTSTRAP_SEED, confidence });
    const { confidence: _sameAsImage, ...interval } = d;
    return interval;
  } catch (e) {
    if (isMetricsError(e, MetricsErrorCodes.SINGLE_CLASS) || isMetricsError(e, MetricsErrorCodes.EMPTY)) return null;
    throw e;
  }
}
