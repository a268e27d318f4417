/**
 * Score quantile sketch: a FIXED log-spaced histogram shared by every agent and the controller, so two sketches of
 * the same camera (or of one camera over many windows) merge by adding counts bucket by bucket, and drift measures
 * (PSI) compare like with like.
 *
 * Buckets: a score s > MIN_TRACKED falls in bucket i = ceil(log_γ s) with γ = 1.02, i.e. (γ^(i−1), γ^i]; scores
 * ≤ MIN_TRACKED (including 0) are counted in `zero`. Error: a quantile read back as the bucket's representative value
 * 2γ^i/(γ+1) is within a RELATIVE error of (γ−1)/(γ+1) ≈ 0.99 % of the exact sample quantile of the same rank (both lie
 * in the same bucket); the zero bucket reads back as 0 (absolute error ≤ MIN_TRACKED). No assumption about the
 * distribution; the only approximation is the bucket width. Memory: BUCKET_COUNT u32 per camera, fixed.
 *
 * Wire form (SketchCounts): `{zero, offset, counts[]}` — counts of the contiguous bucket range starting at bucket
 * index `offset`, so a camera whose scores span one or two decades sends ~100–250 numbers.
 */

export const SKETCH_GAMMA = 1.02;
/** Scores at or below this count as zero (scores are never negative; see messages/common.ts Score). */
export const MIN_TRACKED = 1e-6;
/** Scores above this are clamped into the top bucket (Score's schema maximum). */
export const MAX_TRACKED = 1e9;
export const SKETCH_RELATIVE_ERROR = (SKETCH_GAMMA - 1) / (SKETCH_GAMMA + 1);

const LN_GAMMA = Math.log(SKETCH_GAMMA);
/** Lowest and highest bucket index a tracked score can fall into. */
export const MIN_BUCKET = Math.ceil(Math.log(MIN_TRACKED) / LN_GAMMA);
export const MAX_BUCKET = Math.ceil(Math.log(MAX_TRACKED) / LN_GAMMA);
export const BUCKET_COUNT = MAX_BUCKET - MIN_BUCKET + 1;

/** The JSON shape of a sketch (also the payload of the `scoreSketch` kind's `sketch` field). */
export interface SketchCounts {
  readonly zero: number;
  readonly offset: number;
  readonly counts: number[];
}

/** Bucket index of a score (callers check `s > MIN_TRACKED` first). */
export function bucketOf(s: number): number {
  const i = Math.ceil(Math.log(Math.min(s, MAX_TRACKED)) / LN_GAMMA);
  return i < MIN_BUCKET ? MIN_BUCKET : i > MAX_BUCKET ? MAX_BUCKET : i;
}

/** Upper bound γ^i of bucket i: every score counted in it is ≤ this value. */
export function bucketUpper(i: number): number {
  return Math.pow(SKETCH_GAMMA, i);
}

/** The value a quantile in bucket i reads back as (minimises the worst relative error over the bucket). */
export function bucketValue(i: number): number {
  return (2 * Math.pow(SKETCH_GAMMA, i)) / (SKETCH_GAMMA + 1);
}

/**
 * A mutable sketch over the full fixed bucket range. `add` does no allocation (one log, one increment): the agent
 * calls it once per scored frame.
 */
export class ScoreSketch {
  readonly buckets = new Float64Array(BUCKET_COUNT);
  zero = 0;
  total = 0;
  private lo = BUCKET_COUNT;
  private hi = -1;

  add(score: number, weight = 1): void {
    this.total += weight;
    if (!(score > MIN_TRACKED)) {
      this.zero += weight; // also NaN: never poisons a bucket
      return;
    }
    const k = bucketOf(score) - MIN_BUCKET;
    this.buckets[k] = (this.buckets[k] as number) + weight;
    if (k < this.lo) this.lo = k;
    if (k > this.hi) this.hi = k;
  }

  /** Adds a wire sketch's counts (merging windows or cameras). */
  merge(s: SketchCounts): this {
    this.zero += s.zero;
    this.total += s.zero;
    for (let j = 0; j < s.counts.length; j++) {
      const c = s.counts[j] as number;
      if (c === 0) continue;
      const k = s.offset + j - MIN_BUCKET;
      if (k < 0 || k >= BUCKET_COUNT) continue; // outside the fixed range: a hostile or newer peer's sketch
      this.buckets[k] = (this.buckets[k] as number) + c;
      this.total += c;
      if (k < this.lo) this.lo = k;
      if (k > this.hi) this.hi = k;
    }
    return this;
  }

  /** Removes one score (e.g. a frame QA confirmed as a defect), if its bucket still holds one. */
  remove(score: number): boolean {
    if (!(score > MIN_TRACKED)) {
      if (this.zero < 1) return false;
      this.zero -= 1;
      this.total -= 1;
      return true;
    }
    const k = bucketOf(score) - MIN_BUCKET;
    if ((this.buckets[k] as number) < 1) return false;
    this.buckets[k] = (this.buckets[k] as number) - 1;
    this.total -= 1;
    return true;
  }

  reset(): void {
    if (this.hi >= this.lo) this.buckets.fill(0, this.lo, this.hi + 1);
    this.zero = 0;
    this.total = 0;
    this.lo = BUCKET_COUNT;
    this.hi = -1;
  }

  /** The compact wire form (allocates: called once per window, not per frame). */
  toCounts(): SketchCounts {
    if (this.hi < this.lo) return { zero: this.zero, offset: 0, counts: [] };
    return {
      zero: this.zero,
      offset: this.lo + MIN_BUCKET,
      counts: Array.from(this.buckets.subarray(this.lo, this.hi + 1)),
    };
  }

  /**
   * The value at rank floor(q·(n−1)) (0-based) of the counted scores, within SKETCH_RELATIVE_ERROR of the exact
   * sample value of that rank. NaN for an empty sketch.
   */
  quantile(q: number): number {
    const k = this.bucketAtRank(Math.floor(Math.min(1, Math.max(0, q)) * (this.total - 1)));
    return k === undefined ? NaN : k < 0 ? 0 : bucketValue(k + MIN_BUCKET);
  }

  /**
   * The smallest bucket upper bound t with at most `fraction` of the counted scores strictly above it — exact on the
   * counted scores (no score of t's bucket is above t). NaN for an empty sketch; 0 when only zeros lie above.
   */
  thresholdFor(fraction: number): number {
    const allowedAbove = Math.floor(Math.max(0, fraction) * this.total + 1e-9);
    const k = this.bucketAtRank(Math.max(0, this.total - allowedAbove - 1));
    return k === undefined ? NaN : k < 0 ? MIN_TRACKED : bucketUpper(k + MIN_BUCKET);
  }

  /**
   * Fraction of counted scores above t. Scores in t's own bucket count as not above (the bucket cannot tell), so the
   * answer is low by at most that bucket's share; zeros are never above.
   */
  fractionAbove(t: number): number {
    if (this.total <= 0) return NaN;
    const from = t < MIN_TRACKED ? 0 : bucketOf(t) - MIN_BUCKET + 1;
    let above = 0;
    for (let k = Math.max(from, this.lo); k <= this.hi; k++) above += this.buckets[k] as number;
    return above / this.total;
  }

  /** Bucket (index into `buckets`, or −1 for zero) holding the score of 0-based rank r; undefined when empty. */
  private bucketAtRank(r: number): number | undefined {
    if (this.total <= 0) return undefined;
    let seen = this.zero;
    if (r < seen) return -1;
    for (let k = this.lo; k <= this.hi; k++) {
      seen += this.buckets[k] as number;
      if (r < seen) return k;
    }
    return this.hi;
  }
}

/** Sketch of a wire form (or several, merged). */
export function sketchOf(...parts: readonly SketchCounts[]): ScoreSketch {
  const s = new ScoreSketch();
  for (const p of parts) s.merge(p);
  return s;
}
