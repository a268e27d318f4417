import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isVisionError } from '../src/index.js';
import type { RgbImage } from '../src/index.js';

const SHARED_DATA = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/magnetic-tile');

/**
 * The shared magnetic-tile dataset (read-only; never copied into the repo), checked on use so a clone without
 * ../shared beside it fails with what is missing instead of a bare ENOENT deep inside a loader.
 */
export function dataRoot(): string {
  assert.ok(existsSync(SHARED_DATA), `Magnetic Tile is not at ${SHARED_DATA}: these tests read ../shared/data/magnetic-tile beside the clone, as .ci/run expects`);
  return SHARED_DATA;
}

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
