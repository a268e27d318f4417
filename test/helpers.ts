/** Shared pieces of the end-to-end tests: a synthetic MVTec dataset, polling with a deadline, magic bytes. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMaskPng, encodePng, generateSurface } from '@linewatch/vision';

/**
 * MVTec layout (train/good, train/<defect> + ground_truth masks, test/good) from seeded surfaces. Small images keep
 * the tiny preset's training in seconds; gray brushed metal like the trainer's own pipeline test.
 */
export async function writeSyntheticDataset(root: string): Promise<void> {
  const plan = [
    ['train', 'good', 24, 'none'],
    ['train', 'scratch', 4, 'scratch'],
    ['train', 'blob', 3, 'blob'],
    ['test', 'good', 4, 'none'],
  ] as const;
  for (const [split, kind, count, defect] of plan) {
    const dir = join(root, split, kind);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < count; i++) {
      const s = generateSurface({
        seed: `${split}/${kind}/${i}`,
        width: 80,
        height: 72,
        texture: 'brushed',
        defect,
        grayscale: true,
      });
      writeFileSync(join(dir, `${i}.png`), await encodePng(s.image));
      if (defect !== 'none') {
        mkdirSync(join(root, 'ground_truth', kind), { recursive: true });
        writeFileSync(join(root, 'ground_truth', kind, `${i}_mask.png`), await encodeMaskPng(s.mask));
      }
    }
  }
}

/** Polls `probe` until it returns a value (not undefined) or the deadline passes; the error says what was awaited. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const isJpeg = (b: Uint8Array): boolean => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
export const isPng = (b: Uint8Array): boolean => PNG_SIGNATURE.every((v, i) => b[i] === v);
