/**
 * CIFAR-10's binary batches (`cifar-10-batches-bin`): data_batch_1..5.bin (train) and test_batch.bin (test), each
 * record 1 label byte then 3072 bytes of pixels — the 32×32 red plane, then green, then blue, rows top to bottom —
 * and batches.meta.txt with one class name per line. There is no magic number, so the checks are the size (a whole
 * number of records) and every label naming a class.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RgbImage } from '@linewatch/vision';
import { ByteReader } from './byte-reader.js';
import { DatasetError, DatasetErrorCodes } from './errors.js';

export const CIFAR_SIDE = 32;
export const CIFAR_RECORD_BYTES = 1 + 3 * CIFAR_SIDE * CIFAR_SIDE;
export const CIFAR10_CLASSES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];
export const CIFAR_TRAIN_BATCHES: readonly string[] = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR_TEST_BATCHES: readonly string[] = ['test_batch.bin'];

/** Class names from batches.meta.txt (blank lines dropped), or CIFAR-10's own when the file is absent. */
export async function readCifarClasses(dir: string): Promise<readonly string[]> {
  const text = await readFile(join(dir, 'batches.meta.txt'), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw new DatasetError(
      DatasetErrorCodes.BAD_FORMAT,
      `cannot read ${join(dir, 'batches.meta.txt')}`,
      {},
      { cause: e },
    );
  });
  if (text === null) return CIFAR10_CLASSES;
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (names.length === 0 || names.length > 256 || new Set(names).size !== names.length) {
    throw new DatasetError(
      DatasetErrorCodes.BAD_FORMAT,
      `${join(dir, 'batches.meta.txt')} must list 1–256 distinct class names, one per line`,
      { path: join(dir, 'batches.meta.txt') },
    );
  }
  return names;
}

/** Planar R,G,B (1024 bytes each) → interleaved RGB. */
function planarToRgb(pixels: Uint8Array): RgbImage {
  const n = CIFAR_SIDE * CIFAR_SIDE;
  const data = new Uint8Array(3 * n);
  for (let p = 0; p < n; p++) {
    data[3 * p] = pixels[p]!;
    data[3 * p + 1] = pixels[n + p]!;
    data[3 * p + 2] = pixels[2 * n + p]!;
  }
  return { width: CIFAR_SIDE, height: CIFAR_SIDE, channels: 3, data };
}

/** Records in a batch file (plain files only are size-checked here; a gzipped one fails on its last record). */
export async function cifarRecordCount(path: string): Promise<number> {
  const st = await stat(path).catch((e: unknown) => {
    throw new DatasetError(DatasetErrorCodes.MISSING_FILE, `CIFAR batch missing: ${path}`, { path }, { cause: e });
  });
  if (st.size % CIFAR_RECORD_BYTES !== 0) {
    throw new DatasetError(
      DatasetErrorCodes.TRUNCATED,
      `${path} is ${st.size} bytes, not a whole number of ${CIFAR_RECORD_BYTES}-byte records (truncated?)`,
      { path, size: st.size },
    );
  }
  return st.size / CIFAR_RECORD_BYTES;
}

export interface CifarRecord {
  /** Position in the batch file (0-based). */
  readonly index: number;
  readonly label: number;
  readonly image: RgbImage;
}

/**
 * Streams one batch's records; `wanted(index, label)` picks which are decoded (all by default). Labels are checked on
 * every record, so a wrong file fails even when nothing is picked.
 */
export async function* iterateCifarBatch(
  path: string,
  classCount: number,
  wanted: (index: number, label: number) => boolean = () => true,
): AsyncGenerator<CifarRecord> {
  const count = await cifarRecordCount(path);
  const reader = await ByteReader.open(path);
  try {
    for (let index = 0; index < count; index++) {
      const record = await reader.read(CIFAR_RECORD_BYTES, `record ${index}`);
      const label = record[0]!;
      if (label >= classCount) {
        throw new DatasetError(
          DatasetErrorCodes.BAD_FORMAT,
          `${path}: record ${index} has label ${label}, but there are ${classCount} classes (not a CIFAR-10 batch?)`,
          { path, index, label },
        );
      }
      if (wanted(index, label)) yield { index, label, image: planarToRgb(record.subarray(1)) };
    }
  } finally {
    reader.close();
  }
}
