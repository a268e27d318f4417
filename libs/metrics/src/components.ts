/** Connected-component labelling of binary masks (8-connectivity, as in the MVTec AUPRO definition). */
import { MetricsError, MetricsErrorCodes } from './errors.js';

export interface Components {
  /** Per pixel: 0 = background, 1..count = component id. */
  readonly labels: Int32Array;
  readonly count: number;
  /** sizes[id] = pixel count of component id (sizes[0] is unused and 0). */
  readonly sizes: number[];
}

/** Labels the non-zero pixels of `mask` (row-major, width×height) with an explicit stack flood fill. */
export function labelComponents(mask: ArrayLike<number>, width: number, height: number): Components {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width <= 0 ||
    height <= 0 ||
    mask.length !== width * height
  ) {
    throw new MetricsError(
      MetricsErrorCodes.LENGTH_MISMATCH,
      `mask has ${mask.length} pixels, expected ${width}×${height}`,
      {
        length: mask.length,
        width,
        height,
      },
    );
  }
  const labels = new Int32Array(width * height);
  const sizes: number[] = [0];
  const stack = new Int32Array(width * height);
  let count = 0;
  for (let start = 0; start < labels.length; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    const id = ++count;
    let size = 0;
    let top = 0;
    stack[top++] = start;
    labels[start] = id;
    while (top > 0) {
      const p = stack[--top]!;
      size++;
      const x = p % width;
      const y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width || (dx === 0 && dy === 0)) continue;
          const q = yy * width + xx;
          if (mask[q] !== 0 && labels[q] === 0) {
            labels[q] = id;
            stack[top++] = q;
          }
        }
      }
    }
    sizes.push(size);
  }
  return { labels, count, sizes };
}
