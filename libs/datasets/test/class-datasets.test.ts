/**
 * Datasets of classes: IDX files (plain and gzipped) and CIFAR-10 binary batches written by the test byte by byte as
 * the formats define them, a folder of classes, per-class limits, and coded errors for wrong magic, truncation and
 * labels that name no class. Debian's Fashion-MNIST, when installed, is checked for its counts and names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodePng } from '@linewatch/vision';
import {
  CIFAR_RECORD_BYTES,
  DatasetErrorCodes,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  openClassDataset,
  readIdxLabels,
  type ClassDataset,
  type ClassSample,
  type Split,
} from '../src/index.js';
import { put, rejectsCode, withTempDir } from './helpers.js';

/** idx3 (images) or idx1 (labels), unsigned bytes, big-endian dimensions. */
function idx(dims: readonly number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** Image i of an IDX set: every pixel is `i * 10 + (pixel index % 7)`, so a mixed-up record shows. */
function idxPixels(count: number, rows: number, cols: number): Uint8Array {
  const data = new Uint8Array(count * rows * cols);
  for (let i = 0; i < count; i++) for (let p = 0; p < rows * cols; p++) data[i * rows * cols + p] = i * 10 + (p % 7);
  return data;
}

const LABELS = Uint8Array.from([0, 1, 2, 1, 0, 1, 2, 2, 0]);

async function writeIdxSet(dir: string, gz: boolean): Promise<void> {
  const z = (b: Buffer): Buffer => (gz ? gzipSync(b) : b);
  const ext = gz ? '.gz' : '';
  for (const prefix of ['train', 't10k']) {
    await put(
      join(dir, `${prefix}-images-idx3-ubyte${ext}`),
      z(idx([LABELS.length, 3, 4], idxPixels(LABELS.length, 3, 4))),
    );
    await put(join(dir, `${prefix}-labels-idx1-ubyte${ext}`), z(idx([LABELS.length], LABELS)));
  }
}

async function all(
  ds: ClassDataset,
  split: Split,
  sel?: Parameters<ClassDataset['samples']>[1],
): Promise<ClassSample[]> {
  const out: ClassSample[] = [];
  for await (const s of ds.samples(split, sel)) out.push(s);
  return out;
}

const pixelsOf = (s: ClassSample): Uint8Array => {
  assert.equal(s.source.kind, 'pixels');
  return s.source.kind === 'pixels' ? s.source.image.data : new Uint8Array();
};

for (const gz of [false, true]) {
  test(`IDX ${gz ? 'gzipped' : 'plain'}: labels, pixels, class names, per-class limits`, async () => {
    await withTempDir(async (dir) => {
      await writeIdxSet(dir, gz);
      const ds = await openClassDataset(dir, { classNames: ['a', 'b', 'c'] });
      assert.equal(ds.kind, 'idx');
      assert.deepEqual(ds.classes, ['a', 'b', 'c']);
      const every = await all(ds, 'train');
      assert.deepEqual(
        every.map((s) => s.className),
        [...LABELS].map((l) => 'abc'[l]),
      );
      const fifth = every[5]!;
      assert.equal(fifth.index, 5);
      assert.deepEqual(
        [...pixelsOf(fifth)],
        Array.from({ length: 12 }, (_, p) => 50 + (p % 7)),
      );
      assert.equal(fifth.source.kind === 'pixels' && fifth.source.image.width, 4);
      // The first image of each class in file order, two classes only.
      const picked = await all(ds, 'test', { classes: ['c', 'a'], limitPerClass: 1 });
      assert.deepEqual(
        picked.map((s) => [s.index, s.className]),
        [
          [0, 'a'],
          [2, 'c'],
        ],
      );
      await assert.rejects(all(ds, 'train', { classes: ['nope'] }), (e: Error) =>
        e.message.includes(DatasetErrorCodes.BAD_ARGUMENT),
      );
    });
  });
}

test('IDX: wrong magic, truncated (plain and gzipped), count mismatch, label out of range → coded errors', async () => {
  await withTempDir(async (dir) => {
    const images = idx([4, 3, 4], idxPixels(4, 3, 4));
    await put(join(dir, 'bad-magic'), Buffer.concat([Buffer.from([0, 0, 0x09, 1]), images.subarray(4)]));
    await rejectsCode(readIdxLabels(join(dir, 'bad-magic')), DatasetErrorCodes.BAD_FORMAT, 'bad-magic');
    await rejectsCode(readIdxLabels(join(dir, 'nothing-here')), DatasetErrorCodes.MISSING_FILE, 'nothing-here');

    const ds = async (name: string, imgs: Buffer, labels: Buffer, gz = false): Promise<ClassDataset> => {
      const z = (b: Buffer): Buffer => (gz ? gzipSync(b) : b);
      await put(join(dir, name, `train-images-idx3-ubyte${gz ? '.gz' : ''}`), z(imgs));
      await put(join(dir, name, `train-labels-idx1-ubyte${gz ? '.gz' : ''}`), z(labels));
      return openClassDataset(join(dir, name), { classNames: ['a', 'b'] });
    };
    const labels = idx([4], Uint8Array.from([0, 1, 0, 1]));
    const cut = images.subarray(0, images.length - 5);
    await rejectsCode(all(await ds('cut', cut, labels), 'train'), DatasetErrorCodes.TRUNCATED, 'image 3 of 4');
    // A capped read that stops before the cut passes: the file is streamed, not read whole.
    assert.equal((await all(await ds('cut-capped', cut, labels), 'train', { limitPerClass: 1 })).length, 2);
    // A cut-off gzip stream: the cut lands inside the compressed data.
    const gzCut = gzipSync(images).subarray(0, 20);
    await put(join(dir, 'gzcut', 'train-images-idx3-ubyte.gz'), gzCut);
    await put(join(dir, 'gzcut', 'train-labels-idx1-ubyte'), labels);
    await rejectsCode(
      all(await openClassDataset(join(dir, 'gzcut'), { classNames: ['a', 'b'] }), 'train'),
      DatasetErrorCodes.TRUNCATED,
      'gzcut',
    );
    await rejectsCode(
      all(await ds('count', images, idx([3], Uint8Array.from([0, 1, 0]))), 'train'),
      DatasetErrorCodes.BAD_FORMAT,
      'holds 4 images but its labels file 3',
    );
    await rejectsCode(
      all(await ds('label', images, idx([4], Uint8Array.from([0, 1, 5, 1])), true), 'train'),
      DatasetErrorCodes.BAD_FORMAT,
      'label 5',
    );
    await rejectsCode(all(await ds('no-test', images, labels), 'test'), DatasetErrorCodes.MISSING_FILE, 't10k-images');
  });
});

/** A CIFAR record: label byte, then R, G, B planes; pixel p of plane c is (label·50 + c·10 + p) mod 256. */
function cifarRecord(label: number): Buffer {
  const r = Buffer.alloc(CIFAR_RECORD_BYTES);
  r[0] = label;
  for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) r[1 + c * 1024 + p] = (label * 50 + c * 10 + p) % 256;
  return r;
}

async function writeCifar(dir: string, trainLabels: readonly number[][], testLabels: readonly number[]): Promise<void> {
  for (const [i, labels] of trainLabels.entries())
    await put(join(dir, `data_batch_${i + 1}.bin`), Buffer.concat(labels.map(cifarRecord)));
  await put(join(dir, 'test_batch.bin'), Buffer.concat(testLabels.map(cifarRecord)));
  await put(join(dir, 'batches.meta.txt'), 'cat\ndog\nship\n\n');
}

test('CIFAR-10 binary: planes to RGB, class names from batches.meta.txt, limits across batches', async () => {
  await withTempDir(async (root) => {
    const dir = join(root, 'cifar-10-batches-bin');
    await writeCifar(dir, [[0, 1], [2, 0], [1], [2], [0, 0]], [2, 1, 0, 2]);
    const ds = await openClassDataset(root); // the folder holding cifar-10-batches-bin works too
    assert.equal(ds.kind, 'cifar10');
    assert.deepEqual(ds.classes, ['cat', 'dog', 'ship']);
    const train = await all(ds, 'train');
    assert.deepEqual(
      train.map((s) => [s.index, s.className]),
      [
        [0, 'cat'],
        [1, 'dog'],
        [2, 'ship'],
        [3, 'cat'],
        [4, 'dog'],
        [5, 'ship'],
        [6, 'cat'],
        [7, 'cat'],
      ],
    );
    const dog = pixelsOf(train[1]!);
    // Pixel 5 (row 0, column 5), interleaved R, G, B.
    assert.deepEqual([...dog.subarray(15, 18)], [55, 65, 75]);
    assert.equal(dog.length, 32 * 32 * 3);
    const ships = await all(ds, 'train', { classes: ['ship'], limitPerClass: 1 });
    assert.deepEqual(
      ships.map((s) => s.index),
      [2],
    );
    assert.deepEqual(
      (await all(ds, 'test', { limitPerClass: 1 })).map((s) => s.className),
      ['ship', 'dog', 'cat'],
    );
  });
});

test('CIFAR-10 binary: truncated batch, label out of range, missing batch → coded errors', async () => {
  await withTempDir(async (dir) => {
    await writeCifar(dir, [[0], [1], [2], [0], [1]], [0, 1]);
    const ds = await openClassDataset(dir);
    await put(join(dir, 'test_batch.bin'), Buffer.concat([cifarRecord(0), cifarRecord(1).subarray(0, 100)]));
    await rejectsCode(all(ds, 'test'), DatasetErrorCodes.TRUNCATED, 'test_batch.bin');
    await put(join(dir, 'test_batch.bin'), Buffer.concat([cifarRecord(0), cifarRecord(7)]));
    await rejectsCode(all(ds, 'test'), DatasetErrorCodes.BAD_FORMAT, 'record 1 has label 7');
    await put(join(dir, 'data_batch_3.bin'), Buffer.alloc(0));
    rmSync(join(dir, 'data_batch_4.bin'));
    await rejectsCode(all(ds, 'train'), DatasetErrorCodes.MISSING_FILE, 'data_batch_4.bin');
  });
});

test('folder of classes: files listed in order, never decoded; limits; unknown class', async () => {
  await withTempDir(async (dir) => {
    const png = await encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(12) });
    for (const [split, cls, name] of [
      ['train', 'bolt', 'a.png'],
      ['train', 'bolt', 'b.png'],
      ['train', 'nut', 'a.png'],
      ['test', 'bolt', 'c.png'],
      ['test', 'nut', 'd.png'],
      ['test', 'washer', 'e.png'],
    ] as const)
      await put(join(dir, split, cls, name), png);
    await put(join(dir, 'train', 'bolt', 'notes.txt'), 'not an image');
    const ds = await openClassDataset(dir);
    assert.equal(ds.kind, 'folder');
    assert.deepEqual(ds.classes, ['bolt', 'nut', 'washer']);
    const train = await all(ds, 'train', { limitPerClass: 1 });
    assert.deepEqual(
      train.map((s) => (s.source.kind === 'file' ? s.source.path : '')),
      [join(dir, 'train', 'bolt', 'a.png'), join(dir, 'train', 'nut', 'a.png')],
    );
    assert.equal((await all(ds, 'test')).length, 3);
    await rejectsCode(all(ds, 'test', { classes: ['screw'] }), DatasetErrorCodes.BAD_ARGUMENT, 'screw');
    await rejectsCode(openClassDataset(join(dir, 'train', 'bolt')), DatasetErrorCodes.MISSING_FOLDER, 'not a dataset');
  });
});

test(
  "Debian's Fashion-MNIST: 60000 / 10000 images of 28×28, the ten class names",
  {
    skip: existsSync(FASHION_MNIST_DIR)
      ? false
      : `${FASHION_MNIST_DIR} missing (apt-get install dataset-fashion-mnist)`,
  },
  async () => {
    const ds = await openClassDataset('fashion-mnist');
    assert.deepEqual(ds.classes, FASHION_MNIST_CLASSES);
    const trainLabels = await readIdxLabels(join(FASHION_MNIST_DIR, 'train-labels-idx1-ubyte.gz'));
    const testLabels = await readIdxLabels(join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz'));
    assert.deepEqual([trainLabels.length, testLabels.length], [60000, 10000]);
    const first = await all(ds, 'test', { limitPerClass: 2 });
    assert.equal(first.length, 20);
    for (const s of first)
      assert.equal(s.source.kind === 'pixels' && s.source.image.width * s.source.image.height, 784);
  },
);
