/**
 * Paired image-level (cluster) bootstrap of the pixel-AUROC difference candidate − parent on the same images.
 * Pixels of one image are not independent (a defect is a blob, a lamp lights a whole frame), so the resampling unit
 * is the image: images are drawn with replacement, stratified into normals (no positive pixel) and masked anomalies
 * (≥ 1 positive pixel), and every pixel of a drawn image counts as often as the image was drawn. Both models see the
 * same draws (paired). Seeded through {@link pairedBootstrap}: same maps, seed and count → the same interval.
 *
 * Cost: each model's pixels are radix-sorted ONCE and reduced to per-image-pair counts of correctly ranked
 * (anomalous, normal) pixel pairs (one pass; anomalous pixels × images additions); a replicate is then a
 * masked-images × images weighted sum, no pixel touched. Measured on one shared core: 100 images of 256×256
 * (6.6 M pixels, 40 masked) in 2.7 s at 300 resamples, 3.1 s at 2000; ≈ 30 bytes per pixel transient while sorting.
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

/**
 * One model's pixel ranking reduced to image pairs: `pairs[r·K + b]` counts the (anomalous pixel of masked image r,
 * normal pixel of image b) pairs ranked correctly, ties ½ — a weighted Mann–Whitney U over images. Any resample's
 * pixel AUROC follows from it without touching a pixel again: Σ w_a·w_b·pairs / (Σ w_a·pos_a · Σ w_b·neg_b).
 */
interface PairCounts {
  readonly pairs: Float64Array;
  /** anomalous / normal pixels per image */
  readonly pos: Float64Array;
  readonly neg: Float64Array;
}

function flatten(maps: readonly Float32Array[]): { scores: Float32Array; imageOf: Uint32Array } {
  const total = maps.reduce((s, m) => s + m.length, 0);
  const scores = new Float32Array(total);
  const imageOf = new Uint32Array(total);
  let at = 0;
  maps.forEach((m, i) => {
    scores.set(m, at);
    imageOf.fill(i, at, at + m.length);
    at += m.length;
  });
  return { scores, imageOf };
}

function pairCounts(maps: readonly Float32Array[], masks: readonly Uint8Array[], rowOf: Int32Array): PairCounts {
  const k = maps.length;
  const rows = rowOf.reduce((n, r) => (r >= 0 ? n + 1 : n), 0);
  const { scores, imageOf } = flatten(maps);
  const truth = new Uint8Array(scores.length);
  let at = 0;
  for (const m of masks) for (let j = 0; j < m.length; j++) truth[at++] = m[j] ? 1 : 0;
  const keys = keysOf(scores);
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i);
  radixSortKeys(keys, order);
  const pairs = new Float64Array(rows * k);
  const pos = new Float64Array(k);
  const neg = new Float64Array(k);
  const negBelow = new Float64Array(k); // normal pixels per image ranked strictly below the current tie group
  for (let start = 0; start < keys.length;) {
    let end = start + 1;
    while (end < keys.length && keys[end] === keys[start]) end++;
    for (let i = start; i < end; i++) if (!truth[order[i]!]) neg[imageOf[order[i]!]!]! += 1; // tied normals: ½ below
    for (let i = start; i < end; i++) {
      const p = order[i]!;
      if (!truth[p]) continue;
      const a = imageOf[p]!;
      pos[a]! += 1;
      const row = rowOf[a]! * k;
      for (let b = 0; b < k; b++) pairs[row + b]! += negBelow[b]! + (neg[b]! - negBelow[b]!) / 2;
    }
    for (let b = start; b < end; b++) negBelow[imageOf[order[b]!]!] = neg[imageOf[order[b]!]!]!;
    start = end;
  }
  return { pairs, pos, neg };
}

/** Pixel AUROC with each image's pixels weighted by how often the image was drawn (ties ½, as in pixelAuroc). */
function weightedAuroc(c: PairCounts, masked: readonly number[], weight: Float64Array): number {
  const k = weight.length;
  let area = 0;
  let positives = 0;
  let negatives = 0;
  for (let b = 0; b < k; b++) negatives += weight[b]! * c.neg[b]!;
  masked.forEach((a, r) => {
    const wa = weight[a]!;
    if (wa === 0) return;
    positives += wa * c.pos[a]!;
    let s = 0;
    for (let b = 0; b < k; b++) s += weight[b]! * c.pairs[r * k + b]!;
    area += wa * s;
  });
  return area / (positives * negatives);
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
  const maskedImages: number[] = [];
  const rowOf = new Int32Array(images.length).fill(-1);
  strata.forEach((s, i) => {
    if (s) rowOf[i] = maskedImages.push(i) - 1;
  });
  const masks = images.map((im) => im.mask);
  const cand = pairCounts(
    images.map((im) => im.candidate),
    masks,
    rowOf,
  );
  const par = pairCounts(
    images.map((im) => im.parent),
    masks,
    rowOf,
  );
  const weight = new Float64Array(images.length);
  const b = pairedBootstrap(
    strata,
    (picked) => {
      weight.fill(0);
      for (const i of picked) weight[i]! += 1;
      return weightedAuroc(cand, maskedImages, weight) - weightedAuroc(par, maskedImages, weight);
    },
    options,
  );
  weight.fill(1);
  const candidate = weightedAuroc(cand, maskedImages, weight);
  const parent = weightedAuroc(par, maskedImages, weight);
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
    pixels: masks.reduce((n, m) => n + m.length, 0),
  };
}
