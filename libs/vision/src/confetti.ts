/**
 * "Confetti" anomalies: seeded random coloured blobs and rectangular patches pasted into normal images, for training
 * when no labelled anomalies exist. The returned mask is exact: precisely the pixels that were replaced, and every
 * replaced pixel differs from the original.
 */
import { badArgument } from './errors.js';
import type { BinaryMask, RgbImage } from './image.js';
import { checkImage } from './image.js';
import { createRng, hashSeed } from './prng.js';

export interface ConfettiOptions {
  readonly seed: number | string;
  /** Number of pieces (default 1–3, drawn from the seed). */
  readonly count?: number;
  /** Piece size as a fraction of min(width, height): [min, max], default [0.04, 0.15]. */
  readonly size?: readonly [number, number];
  /** Keep R = G = B (for grayscale lines). Default false. */
  readonly grayscale?: boolean;
}

export interface ConfettiResult {
  readonly image: RgbImage;
  readonly mask: BinaryMask;
}

export function pasteConfetti(source: RgbImage, opts: ConfettiOptions): ConfettiResult {
  checkImage(source);
  const [smin, smax] = opts.size ?? [0.04, 0.15];
  if (!(smin > 0 && smax >= smin && smax <= 1))
    throw badArgument(`size must satisfy 0 < min <= max <= 1, got [${smin}, ${smax}]`);
  const rng = createRng(hashSeed(opts.seed, 'confetti'));
  const count = opts.count ?? rng.int(1, 4);
  if (!Number.isInteger(count) || count < 1 || count > 64)
    throw badArgument(`count must be an integer in 1..64, got ${count}`);
  const { width: w, height: h } = source;
  const data = source.data.slice();
  const mask = new Uint8Array(w * h);
  const d = Math.min(w, h);
  for (let k = 0; k < count; k++) {
    const rw = Math.max(1, Math.round(rng.range(smin, smax) * d));
    const rh = Math.max(1, Math.round(rw * rng.range(0.5, 1.5)));
    const x0 = rng.int(0, Math.max(1, w - rw));
    const y0 = rng.int(0, Math.max(1, h - rh));
    const isBlob = rng.next() < 0.6;
    const base = [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)];
    if (opts.grayscale) base[1] = base[2] = base[0]!;
    const noise = rng.range(0, 40);
    for (let y = y0; y < Math.min(h, y0 + rh); y++) {
      for (let x = x0; x < Math.min(w, x0 + rw); x++) {
        if (isBlob) {
          const u = (x + 0.5 - x0) / rw - 0.5;
          const v = (y + 0.5 - y0) / rh - 0.5;
          if (u * u + v * v > 0.25) continue;
        }
        const p = y * w + x;
        const n = (rng.next() - 0.5) * noise;
        let r = clamp(base[0]! + n),
          g = clamp(base[1]! + n),
          b = clamp(base[2]! + n);
        if (r === source.data[p * 3] && g === source.data[p * 3 + 1] && b === source.data[p * 3 + 2]) {
          // Identical by chance: nudge so the mask never claims an unchanged pixel.
          r = r < 128 ? r + 32 : r - 32;
          if (opts.grayscale) g = b = r;
        }
        data[p * 3] = r;
        data[p * 3 + 1] = g;
        data[p * 3 + 2] = b;
        mask[p] = 1;
      }
    }
  }
  return { image: { width: w, height: h, channels: 3, data }, mask: { width: w, height: h, data: mask } };
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
