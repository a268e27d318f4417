import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeJpeg, encodeMaskPng, generateSurface } from '@linewatch/vision';
import { isDatasetError } from '../src/index.js';

const SHARED_DATA = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/magnetic-tile');

/**
 * The shared magnetic-tile dataset (read-only; never copied into the repo), checked on use so a clone without
 * ../shared beside it fails with what is missing instead of a bare ENOENT deep inside a loader.
 */
export function dataRoot(): string {
  assert.ok(existsSync(SHARED_DATA), `Magnetic Tile is not at ${SHARED_DATA}: these tests read ../shared/data/magnetic-tile beside the clone, as .ci/run expects`);
  return SHARED_DATA;
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
