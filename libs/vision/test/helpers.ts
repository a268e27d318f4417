import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isVisionError } from '../src/index.js';
import type { RgbImage } from '../src/index.js';

/** The shared magnetic-tile dataset (read-only, outside the repo). */
export const DATA_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/magnetic-tile');

export async function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => isVisionError(e) && e.code === code);
}

export function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => isVisionError(e) && e.code === code);
}

export function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 37) & 255;
      data[i + 1] = (y * 53) & 255;
      data[i + 2] = ((x + y) * 11) & 255;
    }
  }
  return { width, height, channels: 3, data };
}
