/**
 * Procedural surface textures as 8-bit RGB. Every texture keeps its levels inside [TEXTURE_MIN, TEXTURE_MAX] so that
 * defects (which darken or brighten by a bounded factor) are guaranteed to change every pixel they cover — that is
 * what makes the defect masks exact.
 */
import type { RgbImage } from './image.js';
import { createImage } from './image.js';
import { fbm } from './noise.js';
import type { Rng } from './prng.js';

export type TextureKind = 'noise' | 'brushed' | 'grain';
export const TEXTURE_KINDS: readonly TextureKind[] = ['noise', 'brushed', 'grain'];

export const TEXTURE_MIN = 48;
export const TEXTURE_MAX = 208;

/** Luminance field in [0, 1] for the texture kind. */
function field(kind: TextureKind, width: number, height: number, rng: Rng): Float32Array {
  const seed = rng.int(0, 0x7fffffff);
  const scale = Math.max(width, height);
  if (kind === 'noise') {
    return fbm(width, height, { seed, cellX: scale / 4, cellY: scale / 4, octaves: 5, persistence: 0.55 });
  }
  if (kind === 'brushed') {
    // Long horizontal streaks (very anisotropic noise) over a soft lighting gradient, plus fine sensor noise.
    const streaks = fbm(width, height, { seed, cellX: scale, cellY: 2.5, octaves: 3, persistence: 0.6 });
    const light = fbm(width, height, { seed: seed ^ 0x5bd1e995, cellX: scale, cellY: scale, octaves: 2 });
    const out = new Float32Array(width * height);
    for (let i = 0; i < out.length; i++) out[i] = 0.55 * streaks[i]! + 0.35 * light[i]! + 0.1 * rng.next();
    return out;
  }
  // grain: pressed-powder tile look — low-frequency mottling plus sparse dark and bright grains.
  const mottle = fbm(width, height, { seed, cellX: scale / 6, cellY: scale / 6, octaves: 4 });
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const r = rng.next();
    const grain = r < 0.04 ? -0.25 : r > 0.97 ? 0.2 : (rng.next() - 0.5) * 0.12;
    out[i] = 0.15 + 0.7 * mottle[i]! + grain;
  }
  return out;
}

/** Stretch a field to use the allowed level range, so contrast does not depend on the noise sample. */
function toLevels(f: Float32Array): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of f) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const k = hi > lo ? (TEXTURE_MAX - TEXTURE_MIN) / (hi - lo) : 0;
  const out = new Float32Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = TEXTURE_MIN + (f[i]! - lo) * k;
  return out;
}

/** Renders a texture; colour surfaces get a random muted tint (kept ≥ 0.8 per channel to stay within range). */
export function renderTexture(
  kind: TextureKind,
  width: number,
  height: number,
  rng: Rng,
  grayscale: boolean,
): RgbImage {
  const levels = toLevels(field(kind, width, height, rng));
  const tint = grayscale ? [1, 1, 1] : [rng.range(0.8, 1), rng.range(0.8, 1), rng.range(0.8, 1)];
  const img = createImage(width, height);
  const d = img.data;
  for (let p = 0; p < levels.length; p++) {
    for (let c = 0; c < 3; c++) {
      // Tinting only lowers values; clamp the lower end back to TEXTURE_MIN so defect guarantees still hold.
      d[p * 3 + c] = Math.max(TEXTURE_MIN, Math.round(levels[p]! * tint[c]!));
    }
  }
  return img;
}
