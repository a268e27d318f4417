/** Report grids: N images tiled with captions into one PNG (e.g. frame | heatmap overlay | mask per test image). */
import sharp from 'sharp';
import { escapeXml } from './chart.js';
import { VisionError, VisionErrorCodes, badArgument } from './errors.js';
import type { RgbImage } from './image.js';
import { checkImage, createImage } from './image.js';
import { resizeImage } from './preprocess.js';

export interface GridTile {
  readonly image: RgbImage;
  readonly caption?: string;
}

export interface GridOptions {
  /** Tiles per row (default: ceil(sqrt(n))). */
  readonly columns?: number;
  /** Every tile is resized to this size; default: the first tile's size. */
  readonly tileWidth?: number;
  readonly tileHeight?: number;
  readonly padding?: number;
  /** Height of the caption strip under each tile (0 = no captions). Default 18. */
  readonly captionHeight?: number;
  readonly background?: readonly [number, number, number];
}

/** Composes the tiles into one canvas and returns it as PNG. */
export async function composeGrid(tiles: readonly GridTile[], opts: GridOptions = {}): Promise<Buffer> {
  if (tiles.length === 0) throw badArgument('composeGrid needs at least one tile');
  tiles.forEach((t, i) => checkImage(t.image, `tile ${i}`));
  const first = tiles[0]!.image;
  const tw = opts.tileWidth ?? first.width;
  const th = opts.tileHeight ?? first.height;
  const cols = opts.columns ?? Math.ceil(Math.sqrt(tiles.length));
  const pad = opts.padding ?? 8;
  const cap = opts.captionHeight ?? 18;
  if (![tw, th, cols].every((v) => Number.isInteger(v) && v > 0) || !(pad >= 0) || !(cap >= 0)) {
    throw badArgument('grid sizes must be positive integers (padding/captionHeight >= 0)', { tw, th, cols, pad, cap });
  }
  const rows = Math.ceil(tiles.length / cols);
  const cellW = tw + pad;
  const cellH = th + cap + pad;
  const W = pad + cols * cellW;
  const H = pad + rows * cellH;
  if (W * H > 100_000_000) throw badArgument(`grid canvas ${W}×${H} is too large`);
  const canvas = createImage(W, H, opts.background ?? [255, 255, 255]);
  const texts: string[] = [];
  tiles.forEach((t, i) => {
    const img = t.image.width === tw && t.image.height === th ? t.image : resizeImage(t.image, tw, th);
    const ox = pad + (i % cols) * cellW;
    const oy = pad + Math.floor(i / cols) * cellH;
    for (let y = 0; y < th; y++)
      canvas.data.set(img.data.subarray(y * tw * 3, (y + 1) * tw * 3), ((oy + y) * W + ox) * 3);
    if (t.caption && cap > 0) {
      const fs = Math.max(8, Math.min(14, cap - 4));
      texts.push(
        `<text x="${ox + tw / 2}" y="${oy + th + cap - 4}" text-anchor="middle" font-size="${fs}">${escapeXml(t.caption)}</text>`,
      );
    }
  });
  try {
    let p = sharp(canvas.data, { raw: { width: W, height: H, channels: 3 } });
    if (texts.length > 0) {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, Arial, sans-serif">${texts.join('')}</svg>`;
      p = p.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
    }
    return await p.png().toBuffer();
  } catch (e) {
    throw new VisionError(
      VisionErrorCodes.ENCODE_FAILED,
      `grid encoding failed: ${(e as Error).message}`,
      {},
      { cause: e },
    );
  }
}
