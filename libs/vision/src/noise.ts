/**
 * Value noise and fractal sums of it (fBm). Lattice values come from an integer hash of (x, y, seed), so no
 * permutation table is stored and any region of an infinite plane can be sampled deterministically.
 */

function lattice(x: number, y: number, seed: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

const smooth = (t: number): number => t * t * t * (t * (t * 6 - 15) + 10); // quintic fade: no grid creases

/** Value noise in [0, 1) at continuous coordinates. */
export function valueNoise(x: number, y: number, seed: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const tx = smooth(x - x0);
  const ty = smooth(y - y0);
  const a = lattice(x0, y0, seed);
  const b = lattice(x0 + 1, y0, seed);
  const c = lattice(x0, y0 + 1, seed);
  const d = lattice(x0 + 1, y0 + 1, seed);
  const top = a + (b - a) * tx;
  const bot = c + (d - c) * tx;
  return top + (bot - top) * ty;
}

export interface FbmOptions {
  readonly seed: number;
  /** Feature size of the first octave in pixels along x and y (anisotropic values give streaks). */
  readonly cellX: number;
  readonly cellY: number;
  readonly octaves?: number;
  /** Amplitude factor per octave (default 0.5). */
  readonly persistence?: number;
}

/** Fractal value noise over a width×height grid, normalised to [0, 1]. */
export function fbm(width: number, height: number, o: FbmOptions): Float32Array {
  const out = new Float32Array(width * height);
  const octaves = o.octaves ?? 4;
  const persistence = o.persistence ?? 0.5;
  let amp = 1;
  let total = 0;
  for (let k = 0; k < octaves; k++) {
    const fx = 2 ** k / o.cellX;
    const fy = 2 ** k / o.cellY;
    const s = (o.seed + Math.imul(k, 0x9e3779b1)) | 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) out[y * width + x]! += amp * valueNoise(x * fx, y * fy, s);
    }
    total += amp;
    amp *= persistence;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= total;
  return out;
}
