/**
 * Paired image-level (cluster) bootstrap of the pixel-AUROC difference candidate − parent on the same images.
 * Pixels of one image are not independent (a defect is a blob, a lamp lights a whole frame), so the resampling unit
 * is the image: images are drawn with replacement, stratified into normals (no positive pixel) and masked anomalies
 * (≥ 1 positive pixel), and every pixel of a drawn image counts as often as the image was drawn. Both models see the
 * same draws (paired). Seeded through {@link pairedBootstrap}: same maps, seed and count → the same interval.
 *
 * Cost: each model's pixels are radix-sorted ONCE; a replicate is then one linear pass per model over the sorted
 * pixels with per-image weights (a weighted Mann–Whitney count), no sorting. Time ≈ 2 × pixels × (resamples + 1)
 * simple steps, e.g. 100 images of 256×256 (6.6 M pixels) × 300 resamples ≈ 4 G steps, seconds on one core (README);
 * memory ≈ 14 bytes per pixel per model.
 */
import { pairedBootstrap, type BootstrapOptions } from './bootstrap.js';
import { MetricsError, MetricsErrorCodes } from './errors.js';
import { keysOf, radixSortKeys } from './sort.js';
import { checkNoNaN } from './validate.js';

export interface PixelMapPair {
  /** Pixel truth at the maps' resolution, non-zero = anomalous pixel. */
  readonly mask: Uint8Array;
  readonly candidate: Float32Array;
  readonly parent: Float32Array;
}

export interface PixelAurocDifference {
  readonly method: 'bootstrap-images';
  /** Pixel AUROC of each model over all the images' pixels (the point values). */
  readonly candidate: number;
  readonly parent: number;
  readonly diff: number;
  readonly lo: number;
  readonly hi: number;
  readonly confidence: number;
  readonly resamples: number;
  readonly seed: number;
  /** Images without a positive pixel (normals) and with one (masked anomalies): the two strata. */
  readonly normal: number;
  readonly masked: number;
  readonly pixels: number;
}

/** One model's pixels sorted by score once: which image each came from, its truth, and where a tie group ends. */
interface RankedPixels {
  readonly image: Uint32Array;
  readonly positive: Uint8Array;
  readonly tieEnd: Uint8Array;
}

function rank(maps: readonly Float32Array[], masks: readonly Uint8Array[]): RankedPixels {
  const total = maps.reduce((s, m) => s + m.length, 0);
  const scores = new Float32Array(total);
  const imageOf = new Uint32Array(total);
  const truth = new Uint8Array(total);
  let at = 0;
  maps.forEach((m, i) => {
    scores.set(m, at);
    imageOf.fill(i, at, at + m.length);
    for (let j = 0; j < m.length; j++) truth[at + j] = masks[i]![j] ? 1 : 0;
    at += m.length;
  });
  const keys = keysOf(scores);
  const order = Uint32Array.from({ length: total }, (_, i) => i);
  radixSortKeys(keys, order);
  const image = new Uint32Array(total);
  const positive = new Uint8Array(total);
  const tieEnd = new Uint8Array(total);
  for (let i = 0; i < total; i++) {
    image[i] = imageOf[order[i]!]!;
    positive[i] = truth[order[i]!]!;
    tieEnd[i] = i === total - 1 || keys[i] !== keys[i + 1] ? 1 : 0;
  }
  return { image, positive, tieEnd };
}

/** Pixel AUROC with each pixel weighted by how often its image was drawn (ties count ½, as in pixelAuroc). */
function weightedAuroc(r: RankedPixels, weight: Float64Array): number {
  let negBelow = 0;
  let positives = 0;
  let area = 0;
  let groupPos = 0;
  let groupNeg = 0;
  for (let i = 0; i < r.image.length; i++) {
    const w = weight[r.image[i]!]!;
    if (r.positive[i]) groupPos += w;
    else groupNeg += w;
    if (r.tieEnd[i]) {
      area += groupPos * (negBelow + groupNeg / 2);
      negBelow += groupNeg;
      positives += groupPos;
      groupPos = 0;
      groupNeg = 0;
    }
  }
  return area / (positives * negBelow);
}

function checkImages(images: readonly PixelMapPair[]): Uint8Array {
  const strata = new Uint8Array(images.length);
  images.forEach((im, i) => {
    if (im.candidate.length !== im.mask.length || im.parent.length !== im.mask.length)
      throw new MetricsError(
        MetricsErrorCodes.LENGTH_MISMATCH,
        `image ${i}: mask ${im.mask.length}, candidate ${im.candidate.length}, parent ${im.parent.length} pixels`,
      );
    checkNoNaN(im.candidate, `candidate map ${i}`);
    checkNoNaN(im.parent, `parent map ${i}`);
    strata[i] = im.mask.some((v) => v !== 0) ? 1 : 0;
  });
  const masked = strata.reduce((s, v) => s + v, 0);
  if (masked === 0 || masked === images.length)
    throw new MetricsError(
      MetricsErrorCodes.SINGLE_CLASS,
      `pixel AUROC needs images with and without anomalous pixels: ${masked} masked of ${images.length}`,
    );
  return strata;
}

/**
 * Percentile interval of pixel AUROC(candidate) − pixel AUROC(parent) over image-level stratified resamples.
 * Throws LW_METRICS_SINGLE_CLASS without both a normal image and an image with anomalous pixels.
 */
export function pixelAurocDifference(
  images: readonly PixelMapPair[],
  options: BootstrapOptions = {},
): PixelAurocDifference {
  const strata = checkImages(images);
  const masks = images.map((im) => im.mask);
  const cand = rank(
    images.map((im) => im.candidate),
    masks,
  );
  const par = rank(
    images.map((im) => im.parent),
    masks,
  );
  const weight = new Float64Array(images.length);
  const b = pairedBootstrap(
    strata,
    (picked) => {
      weight.fill(0);
      for (const i of picked) weight[i]! += 1;
      return weightedAuroc(cand, weight) - weightedAuroc(par, weight);
    },
    options,
  );
  weight.fill(1);
  const candidate = weightedAuroc(cand, weight);
  const parent = weightedAuroc(par, weight);
  const masked = strata.reduce((s, v) => s + v, 0);
  return {
    method: 'bootstrap-images',
    candidate,
    parent,
    diff: b.estimate,
    lo: b.lo,
    hi: b.hi,
    confidence: b.confidence,
    resamples: b.resamples,
    seed: b.seed,
    normal: images.length - masked,
    masked,
    pixels: cand.image.length,
  };
}
