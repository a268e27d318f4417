import assert from 'node:assert/strict';
import { sharedData } from '@linewatch/testing';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { encodeJpeg, encodeMaskPng, generateSurface } from '@linewatch/vision';
import { isDatasetError } from '../src/index.js';

/**
 * The shared magnetic-tile dataset (read-only; never copied into the repo). A clone without ../shared skips the tests
 * that read it, naming the folder (`{ skip: magneticTile.skip }`); CI (LW_REQUIRE_SHARED_DATA=1) fails them instead.
 */
export const magneticTile = sharedData('data/magnetic-tile');

/** The dataset's path, or a coded error naming the missing folder. */
export function dataRoot(): string {
  return magneticTile.path();
}

export async function rejectsCode(p: Promise<unknown>, code: string, mention?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isDatasetError(e), `expected a DatasetError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (mention) assert.ok(e.message.includes(mention), `message should name ${mention}: ${e.message}`);
    return true;
  });
}

/** Runs `fn` with a fresh temp dir that is always removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'lw-datasets-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function put(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}

/** A tiny synthetic MVTec tree: 2 train/good, 1 test/good, 1 test/scratch with mask. Returns the defect stem. */
export async function buildMiniMvtec(root: string): Promise<void> {
  const jpg = async (seed: number, defect: 'none' | 'scratch' = 'none') => {
    const s = generateSurface({ seed, width: 40, height: 32, grayscale: true, defect });
    return { jpg: await encodeJpeg(s.image), mask: await encodeMaskPng(s.mask) };
  };
  await put(join(root, 'train/good/a.jpg'), (await jpg(1)).jpg);
  await put(join(root, 'train/good/b.JPG'), (await jpg(2)).jpg);
  await put(join(root, 'train/good/notes.txt'), 'ignored');
  await put(join(root, 'test/good/c.jpg'), (await jpg(3)).jpg);
  const d = await jpg(4, 'scratch');
  await put(join(root, 'test/scratch/d.jpg'), d.jpg);
  await put(join(root, 'ground_truth/scratch/d_mask.png'), d.mask);
}
