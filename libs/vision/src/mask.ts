/** Ground-truth masks: decode, binarise, size checks, token-grid downsampling, PNG encoding. */
import { decodeGray } from './decode.js';
import type { DecodeOptions } from './decode.js';
import { encodePng } from './encode.js';
import { decodeIndexedPng, isIndexedPng, type IndexedMask } from './indexed-png.js';
import { badArgument } from './errors.js';
import type { BinaryMask, GrayImage } from './image.js';
import { checkDims, checkSameSize } from './image.js';

/** Mask pixels strictly above this 8-bit level are anomalous (MVTec convention; soft mask edges fall either way). */
export const MASK_THRESHOLD = 127;

export function emptyMask(width: number, height: number): BinaryMask {
  checkDims(width, height, 'mask');
  return { width, height, data: new Uint8Array(width * height) };
}

/** gray > threshold → 1, else 0. */
export function binarize(gray: GrayImage, threshold = MASK_THRESHOLD): BinaryMask {
  const data = new Uint8Array(gray.width * gray.height);
  for (let i = 0; i < data.length; i++) data[i] = gray.data[i]! > threshold ? 1 : 0;
  return { width: gray.width, height: gray.height, data };
}

function indexedToBinary(m: IndexedMask): BinaryMask {
  return { width: m.width, height: m.height, data: m.data.map((v) => (v > 0 ? 1 : 0)) };
}

export interface DecodeMaskOptions extends DecodeOptions {
  /** When given, a mask of another size throws LW_VISION_SIZE_MISMATCH. */
  readonly expectedSize?: { readonly width: number; readonly height: number };
}

/**
 * Decodes a mask image and binarises it: an indexed-colour PNG (palette index = defect class, 0 = background) at
 * index > 0; any other JPEG/PNG by luma at {@link MASK_THRESHOLD}.
 */
export async function decodeMask(bytes: Uint8Array, opts: DecodeMaskOptions = {}): Promise<BinaryMask> {
  const mask = isIndexedPng(bytes)
    ? indexedToBinary(decodeIndexedPng(bytes, opts))
    : binarize(await decodeGray(bytes, opts));
  if (opts.expectedSize) checkMaskSize(mask, opts.expectedSize);
  return mask;
}

/** Throws LW_VISION_SIZE_MISMATCH when mask and image sizes differ. */
export function checkMaskSize(mask: BinaryMask, image: { readonly width: number; readonly height: number }): void {
  checkSameSize(image, mask, 'mask size differs from image size');
}

/** Binary mask → 8-bit PNG with 0 / 255 (so the file follows the same > 127 rule when read back). */
export async function encodeMaskPng(mask: BinaryMask): Promise<Buffer> {
  const data = new Uint8Array(mask.data.length);
  for (let i = 0; i < data.length; i++) data[i] = mask.data[i] ? 255 : 0;
  return encodePng({ width: mask.width, height: mask.height, channels: 1, data });
}

export interface TokenGrid {
  readonly width: number;
  readonly height: number;
  /** Fraction of anomalous pixels per cell, row-major. */
  readonly fractions: Float32Array;
  /** 1 where the cell counts as anomalous. */
  readonly labels: Uint8Array;
}

export interface GridOptions {
  /** A cell is anomalous when its anomalous fraction is >= minFraction and > 0. Default 0.5 (majority). */
  readonly minFraction?: number;
}

/**
 * Downsamples a mask to a gridW × gridH token grid. Cell (i, j) covers pixel columns
 * [⌊j·W/gridW⌋, ⌊(j+1)·W/gridW⌋) and rows [⌊i·H/gridH⌋, ⌊(i+1)·H/gridH⌋) — a partition of the image, so every pixel
 * belongs to exactly one cell; when the grid is finer than the mask, a cell covers the single pixel under its
 * centre. Rule: label = fraction ≥ minFraction (default 0.5) and fraction > 0; pass a tiny minFraction (e.g. 1e-9)
 * for "any anomalous pixel marks the token".
 */
export function maskToGrid(mask: BinaryMask, gridW: number, gridH: number, opts: GridOptions = {}): TokenGrid {
  checkDims(gridW, gridH, 'grid');
  const minFraction = opts.minFraction ?? 0.5;
  if (!(minFraction > 0 && minFraction <= 1)) throw badArgument(`minFraction must be in (0, 1], got ${minFraction}`);
  const W = mask.width;
  const H = mask.height;
  const fractions = new Float32Array(gridW * gridH);
  const labels = new Uint8Array(gridW * gridH);
  for (let i = 0; i < gridH; i++) {
    let y0 = Math.floor((i * H) / gridH);
    let y1 = Math.floor(((i + 1) * H) / gridH);
    if (y1 <= y0) [y0, y1] = [Math.min(H - 1, Math.floor(((i + 0.5) * H) / gridH)), 0];
    if (y1 <= y0) y1 = y0 + 1;
    for (let j = 0; j < gridW; j++) {
      let x0 = Math.floor((j * W) / gridW);
      let x1 = Math.floor(((j + 1) * W) / gridW);
      if (x1 <= x0) [x0, x1] = [Math.min(W - 1, Math.floor(((j + 0.5) * W) / gridW)), 0];
      if (x1 <= x0) x1 = x0 + 1;
      let count = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (mask.data[y * W + x]) count++;
      const f = count / ((y1 - y0) * (x1 - x0));
      fractions[i * gridW + j] = f;
      labels[i * gridW + j] = f > 0 && f >= minFraction ? 1 : 0;
    }
  }
  return { width: gridW, height: gridH, fractions, labels };
}
