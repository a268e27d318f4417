/**
 * Geometry between frames and a letterboxed model input (`fit: 'letterbox'`): only the centred content rectangle
 * holds the frame, so maps are cropped to it before being stretched over the frame (or sent beside it), and pixel
 * masks are cut into tokens where the frame actually landed. With `fit: 'stretch'` both are the plain operations.
 */
import { badArgument } from './errors.js';
import { resizeMap } from './floatmap.js';
import type { BinaryMask, FloatMap } from './image.js';
import { maskToGrid, type GridOptions, type TokenGrid } from './mask.js';
import { contentRect, type PreprocessSettings } from './preprocess.js';

export type FitSettings = Pick<PreprocessSettings, 'inputWidth' | 'inputHeight' | 'fit'>;

/** The part of an input-sized map that covers a frame of the given size, at the map's own resolution. */
export function mapContent(map: FloatMap, frameWidth: number, frameHeight: number, s: FitSettings): FloatMap {
  if (s.fit !== 'letterbox') return map;
  if (map.width !== s.inputWidth || map.height !== s.inputHeight) {
    throw badArgument(
      `a letterboxed map must be ${s.inputWidth}×${s.inputHeight} (the model input), got ${map.width}×${map.height}`,
    );
  }
  const r = contentRect(frameWidth, frameHeight, s);
  if (r.width === map.width && r.height === map.height) return map;
  const data = new Float32Array(r.width * r.height);
  for (let y = 0; y < r.height; y++)
    data.set(
      map.data.subarray((y + r.top) * map.width + r.left, (y + r.top) * map.width + r.left + r.width),
      y * r.width,
    );
  return { width: r.width, height: r.height, data };
}

/** An input-sized map laid over a frame: content cropped, then bilinear (align-corners) to the frame's size. */
export function mapToImage(map: FloatMap, frameWidth: number, frameHeight: number, s: FitSettings): FloatMap {
  return resizeMap(mapContent(map, frameWidth, frameHeight, s), frameWidth, frameHeight, { alignCorners: true });
}

/**
 * A frame's mask as the model input sees it, the counterpart of {@link mapContent}: the content rectangle's size
 * (the whole input with 'stretch'), each pixel taking the mask value under its centre (nearest). Pixel metrics "at
 * input resolution" pair this with the cropped map, so every frame counts at the size it had in the model input.
 */
export function maskAtInput(mask: BinaryMask, s: FitSettings): BinaryMask {
  const r = contentRect(mask.width, mask.height, s);
  if (r.width === mask.width && r.height === mask.height) return mask;
  const data = new Uint8Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) {
    const row = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / r.height)) * mask.width;
    for (let x = 0; x < r.width; x++)
      data[y * r.width + x] =
        mask.data[row + Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / r.width))]!;
  }
  return { width: r.width, height: r.height, data };
}

/**
 * Token labels for a frame's mask as the model sees it: the grid partitions the model input, and with a letterbox a
 * cell's fraction counts only the frame pixels under it (bands are normal). Same rule as {@link maskToGrid}.
 */
export function maskToInputGrid(
  mask: BinaryMask,
  gridW: number,
  gridH: number,
  s: FitSettings,
  opts: GridOptions = {},
): TokenGrid {
  if (s.fit !== 'letterbox') return maskToGrid(mask, gridW, gridH, opts);
  const minFraction = opts.minFraction ?? 0.5;
  if (!(minFraction > 0 && minFraction <= 1)) throw badArgument(`minFraction must be in (0, 1], got ${minFraction}`);
  const r = contentRect(mask.width, mask.height, s);
  const kx = mask.width / r.width;
  const ky = mask.height / r.height;
  const fractions = new Float32Array(gridW * gridH);
  const labels = new Uint8Array(gridW * gridH);
  // Cell edges and the content rectangle in input pixels (fractional); the overlap maps back to mask pixels.
  const span = (cell: number, cells: number, size: number, start: number, length: number, k: number, limit: number) => {
    const c0 = (cell * size) / cells;
    const c1 = ((cell + 1) * size) / cells;
    const o0 = Math.max(c0, start);
    const o1 = Math.min(c1, start + length);
    if (o1 <= o0) return null;
    const p0 = Math.min(limit - 1, Math.floor((o0 - start) * k));
    const p1 = Math.min(limit, Math.max(p0 + 1, Math.ceil((o1 - start) * k)));
    return { p0, p1, share: (o1 - o0) / (c1 - c0) };
  };
  for (let i = 0; i < gridH; i++) {
    const ys = span(i, gridH, s.inputHeight, r.top, r.height, ky, mask.height);
    if (!ys) continue;
    for (let j = 0; j < gridW; j++) {
      const xs = span(j, gridW, s.inputWidth, r.left, r.width, kx, mask.width);
      if (!xs) continue;
      let count = 0;
      for (let y = ys.p0; y < ys.p1; y++)
        for (let x = xs.p0; x < xs.p1; x++) if (mask.data[y * mask.width + x]) count++;
      const f = (count / ((ys.p1 - ys.p0) * (xs.p1 - xs.p0))) * ys.share * xs.share;
      fractions[i * gridW + j] = f;
      labels[i * gridW + j] = f > 0 && f >= minFraction ? 1 : 0;
    }
  }
  return { width: gridW, height: gridH, fractions, labels };
}
