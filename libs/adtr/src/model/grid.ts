/**
 * How backbone taps become ADTR's token-grid features: taps resized onto the grid and concatenated, plus the optional
 * intensity tap computed from the input image.
 */
import { concat, reduceMean, reshape, resize, stopGradient, sub, type Tensor } from '@linewatch/graph';
import { AdtrError } from '../errors.js';

/**
 * ADTR's token features: every tap resized (bilinear, align-corners) to the token grid and concatenated along
 * channels → [N, ΣC, rows, cols].
 */
export function tapsToGrid(taps: readonly Tensor[], grid: readonly [number, number]): Tensor {
  if (taps.length === 0) throw new AdtrError('LW_ADTR_CONFIG', 'at least one feature tap is needed');
  const resized = taps.map((t) =>
    t.shape[2] === grid[0] && t.shape[3] === grid[1] ? t : resize(t, grid, { alignCorners: true }),
  );
  return resized.length === 1 ? (resized[0] as Tensor) : concat(resized, 1);
}

/**
 * The input image's mean per token cell, relative to the frame's mean: [N, C, rows, cols]. CNN features respond to
 * texture far more than to slow brightness changes, so a large, faintly darker region ("uneven" on Magnetic Tile)
 * barely moves them; this tap lets the reconstruction see brightness and predict it from the context.
 */
export function intensityTap(image: Tensor, grid: readonly [number, number]): Tensor {
  const [n, c, h, w] = image.shape as [number, number, number, number];
  const [rows, cols] = grid;
  if (h % rows !== 0 || w % cols !== 0) {
    throw new AdtrError(
      'LW_ADTR_CONFIG',
      `the intensity tap needs the input ${h}x${w} to be a multiple of the grid ${rows}x${cols}`,
    );
  }
  const cells = reduceMean(reshape(image, [n, c, rows, h / rows, cols, w / cols]), [3, 5]);
  return stopGradient(sub(cells, reduceMean(cells, [2, 3], { keepDims: true })));
}
