import assert from 'node:assert/strict';
import { sharedData } from '@linewatch/testing';
import { isVisionError } from '../src/index.js';
import type { RgbImage } from '../src/index.js';

/**
 * The shared magnetic-tile dataset (read-only; never copied into the repo). A clone without ../shared skips the tests
 * that read it, naming the folder (`{ skip: magneticTile.skip }`); CI (LW_REQUIRE_SHARED_DATA=1) fails them instead.
 */
export const magneticTile = sharedData('data/magnetic-tile');

/** The dataset's path, or a coded error naming the missing folder. */
export function dataRoot(): string {
  return magneticTile.path();
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
