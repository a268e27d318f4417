/**
 * Seeded synthetic surfaces: a texture plus at most one defect with its exact mask. Texture and defect use separate
 * random streams derived from the seed, so `defect: 'none'` with the same seed reproduces the defect-free surface.
 */
import type { DefectKind } from './defects.js';
import { DEFECT_KINDS, drawDefect } from './defects.js';
import { badArgument } from './errors.js';
import type { BinaryMask, RgbImage } from './image.js';
import { checkDims } from './image.js';
import { createRng, hashSeed } from './prng.js';
import type { TextureKind } from './textures.js';
import { TEXTURE_KINDS, renderTexture } from './textures.js';

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface SurfaceOptions {
  readonly seed: number | string;
  readonly width: number;
  readonly height: number;
  readonly texture?: TextureKind;
  /** 'none' (default), 'random' (kind chosen from the seed) or a specific kind. */
  readonly defect?: 'none' | 'random' | DefectKind;
  /** Gray surface (R = G = B), like the magnetic-tile data. Default false. */
  readonly grayscale?: boolean;
}

export interface Surface {
  readonly image: RgbImage;
  readonly mask: BinaryMask;
  readonly defectKind: DefectKind | 'none';
  /** Tight box around the mask, or null for a defect-free surface. */
  readonly bbox: Box | null;
}

/** Tight bounding box of the non-zero mask pixels (null when empty). */
export function maskBBox(mask: BinaryMask): Box | null {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (!mask.data[y * mask.width + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

export function generateSurface(opts: SurfaceOptions): Surface {
  const { width, height } = opts;
  checkDims(width, height, 'surface');
  if (width < 16 || height < 16) throw badArgument(`surface must be at least 16×16, got ${width}×${height}`);
  const texture = opts.texture ?? 'noise';
  if (!TEXTURE_KINDS.includes(texture)) throw badArgument(`unknown texture '${String(texture)}'`, { texture });
  const defect = opts.defect ?? 'none';
  if (defect !== 'none' && defect !== 'random' && !DEFECT_KINDS.includes(defect)) {
    throw badArgument(`unknown defect '${String(defect)}'`, { defect });
  }
  const grayscale = opts.grayscale ?? false;
  const image = renderTexture(texture, width, height, createRng(hashSeed(opts.seed, 'texture')), grayscale);
  const mask: BinaryMask = { width, height, data: new Uint8Array(width * height) };
  if (defect === 'none') return { image, mask, defectKind: 'none', bbox: null };
  const rng = createRng(hashSeed(opts.seed, 'defect'));
  const kind = defect === 'random' ? rng.pick(DEFECT_KINDS) : defect;
  mask.data.set(drawDefect(image, kind, rng, grayscale));
  return { image, mask, defectKind: kind, bbox: maskBBox(mask) };
}
