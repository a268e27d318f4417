/**
 * Datasets of classes for the one-class protocol (one class is normal, the others are anomalies), in one shape
 * whatever the files are:
 *
 *   - a folder of classes: `root/train/<class>/*`, `root/test/<class>/*` (JPEG/PNG; listed, never decoded here);
 *   - CIFAR-10's binary batches (`cifar-10-batches-bin`, or the folder holding it);
 *   - MNIST / Fashion-MNIST IDX files (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`, `t10k-…`);
 *     the name `fashion-mnist` means Debian's `dataset-fashion-mnist` under /usr/share/datasets/fashion-mnist.
 *
 * `samples(split, { classes, limitPerClass })` streams the first `limitPerClass` images of each chosen class in file
 * order, so a capped run reads only as far into the binary files as its last picked image.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { GrayImage, RgbImage } from '@linewatch/vision';
import {
  CIFAR_TEST_BATCHES,
  CIFAR_TRAIN_BATCHES,
  cifarRecordCount,
  iterateCifarBatch,
  readCifarClasses,
} from './cifar10.js';
import { DatasetError, DatasetErrorCodes } from './errors.js';
import { iterateIdxImages, readIdxImageHeader, readIdxLabels } from './idx.js';
import { listClassFolders } from './class-folder.js';
import type { Split } from './mvtec.js';

export type ClassSource =
  { readonly kind: 'file'; readonly path: string } | { readonly kind: 'pixels'; readonly image: RgbImage | GrayImage };

export interface ClassSample {
  readonly split: Split;
  readonly className: string;
  readonly classIndex: number;
  /** Position in the split (file order for folders, record order for binary files): a stable id. */
  readonly index: number;
  readonly source: ClassSource;
}

export interface ClassSelection {
  /** Class names to keep (default all). An unknown name is LW_DATA_BAD_ARGUMENT. */
  readonly classes?: readonly string[];
  /** At most this many images per class, the first ones in file order (default all). */
  readonly limitPerClass?: number;
}

export interface ClassDataset {
  readonly kind: 'folder' | 'cifar10' | 'idx';
  /** The folder the files were read from. */
  readonly root: string;
  readonly classes: readonly string[];
  samples(split: Split, selection?: ClassSelection): AsyncGenerator<ClassSample>;
}

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
export const MNIST_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Checks a selection against the class list; returns the wanted class indices and the per-class cap. */
export function resolveSelection(classes: readonly string[], sel: ClassSelection = {}) {
  const wanted = new Set<number>();
  for (const name of sel.classes ?? classes) {
    const i = classes.indexOf(name);
    if (i < 0) {
      throw new DatasetError(DatasetErrorCodes.BAD_ARGUMENT, `unknown class "${name}" (known: ${classes.join(', ')})`, {
        class: name,
      });
    }
    wanted.add(i);
  }
  const limit = sel.limitPerClass ?? Infinity;
  if (!(limit > 0))
    throw new DatasetError(DatasetErrorCodes.BAD_ARGUMENT, `limitPerClass must be positive, got ${limit}`);
  return { wanted, limit };
}

/** A per-class counter: `take(classIndex)` is true for the first `limit` images of each wanted class. */
export function classQuota(classes: readonly string[], sel?: ClassSelection) {
  const { wanted, limit } = resolveSelection(classes, sel);
  const taken = new Map<number, number>();
  return {
    take(c: number): boolean {
      if (!wanted.has(c) || (taken.get(c) ?? 0) >= limit) return false;
      taken.set(c, (taken.get(c) ?? 0) + 1);
      return true;
    },
    /** True once every wanted class has its `limit` images. */
    full: (): boolean => [...wanted].every((c) => (taken.get(c) ?? 0) >= limit),
  };
}

function cifarDataset(root: string, classes: readonly string[]): ClassDataset {
  return {
    kind: 'cifar10',
    root,
    classes,
    async *samples(split, sel) {
      const quota = classQuota(classes, sel);
      let offset = 0;
      for (const name of split === 'train' ? CIFAR_TRAIN_BATCHES : CIFAR_TEST_BATCHES) {
        if (quota.full()) return;
        const path = join(root, name);
        for await (const r of iterateCifarBatch(path, classes.length, (_, label) => quota.take(label))) {
          const source = { kind: 'pixels', image: r.image } as const;
          yield { split, className: classes[r.label]!, classIndex: r.label, index: offset + r.index, source };
        }
        offset += await cifarRecordCount(path);
      }
    },
  };
}

const IDX_PREFIX: Record<Split, string> = { train: 'train', test: 't10k' };

/** `<prefix>-<kind>-idx<n>-ubyte` or the `.idx` spelling, each plain or `.gz`; null when none is there. */
export function findIdxFile(dir: string, split: Split, kind: 'images' | 'labels'): string | null {
  const n = kind === 'images' ? 3 : 1;
  const stem = `${IDX_PREFIX[split]}-${kind}`;
  for (const name of [`${stem}-idx${n}-ubyte`, `${stem}.idx${n}-ubyte`])
    for (const ext of ['', '.gz']) if (existsSync(join(dir, name + ext))) return join(dir, name + ext);
  return null;
}

function requireIdxFile(dir: string, split: Split, kind: 'images' | 'labels'): string {
  const path = findIdxFile(dir, split, kind);
  if (path === null) {
    const n = kind === 'images' ? 3 : 1;
    throw new DatasetError(
      DatasetErrorCodes.MISSING_FILE,
      `no ${IDX_PREFIX[split]}-${kind}-idx${n}-ubyte[.gz] in ${dir}`,
      { dir, split, kind },
    );
  }
  return path;
}

function idxDataset(root: string, classes: readonly string[]): ClassDataset {
  return {
    kind: 'idx',
    root,
    classes,
    async *samples(split, sel) {
      const imagesPath = requireIdxFile(root, split, 'images');
      const labels = await readIdxLabels(requireIdxFile(root, split, 'labels'));
      const count = (await readIdxImageHeader(imagesPath)).dims[0]!;
      if (count !== labels.length) {
        throw new DatasetError(
          DatasetErrorCodes.BAD_FORMAT,
          `${imagesPath} holds ${count} images but its labels file ${labels.length} labels`,
          { path: imagesPath, images: count, labels: labels.length },
        );
      }
      const quota = classQuota(classes, sel);
      const picked = new Set<number>();
      labels.forEach((label, i) => {
        if (label >= classes.length) {
          throw new DatasetError(DatasetErrorCodes.BAD_FORMAT, `label ${label} of image ${i} names no class`, {
            path: imagesPath,
            index: i,
            label,
          });
        }
        if (quota.take(label)) picked.add(i);
      });
      const stopAfter = Math.max(-1, ...picked) + 1;
      for await (const { index, image } of iterateIdxImages(imagesPath, { wanted: (i) => picked.has(i), stopAfter })) {
        const source = { kind: 'pixels', image } as const;
        yield { split, className: classes[labels[index]!]!, classIndex: labels[index]!, index, source };
      }
    },
  };
}

async function folderDataset(root: string): Promise<ClassDataset> {
  const listing = await listClassFolders(root);
  const classes = listing.classes;
  return {
    kind: 'folder',
    root,
    classes,
    async *samples(split, sel) {
      const quota = classQuota(classes, sel);
      let index = 0;
      for (const f of listing.files[split]) {
        const classIndex = classes.indexOf(f.className);
        if (quota.take(classIndex))
          yield { split, className: f.className, classIndex, index, source: { kind: 'file', path: f.path } };
        index++;
      }
    },
  };
}

export interface OpenClassDatasetOptions {
  /** Class names for IDX labels 0..n-1 (default: Fashion-MNIST's when the folder's name says fashion, else digits). */
  readonly classNames?: readonly string[];
}

const isDir = (p: string): boolean => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * Opens `spec`: `fashion-mnist` (Debian's package), a CIFAR-10 binary folder (or the folder holding
 * `cifar-10-batches-bin`), an IDX folder, or a folder of classes. LW_DATA_MISSING_FOLDER when it is none of them.
 */
export async function openClassDataset(spec: string, opts: OpenClassDatasetOptions = {}): Promise<ClassDataset> {
  if (spec === 'fashion-mnist') {
    if (!isDir(FASHION_MNIST_DIR)) {
      throw new DatasetError(
        DatasetErrorCodes.MISSING_FOLDER,
        `${FASHION_MNIST_DIR} is missing: install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)`,
        { path: FASHION_MNIST_DIR },
      );
    }
    return idxDataset(FASHION_MNIST_DIR, opts.classNames ?? FASHION_MNIST_CLASSES);
  }
  const root = resolve(spec);
  if (!isDir(root))
    throw new DatasetError(DatasetErrorCodes.MISSING_FOLDER, `dataset folder missing: ${root}`, { path: root });
  if (isDir(join(root, 'cifar-10-batches-bin'))) return openClassDataset(join(root, 'cifar-10-batches-bin'), opts);
  if (existsSync(join(root, CIFAR_TRAIN_BATCHES[0]!)) || existsSync(join(root, CIFAR_TEST_BATCHES[0]!)))
    return cifarDataset(root, await readCifarClasses(root));
  if (findIdxFile(root, 'train', 'images') || findIdxFile(root, 'test', 'images')) {
    const names = opts.classNames ?? (/fashion/i.test(basename(root)) ? FASHION_MNIST_CLASSES : MNIST_CLASSES);
    return idxDataset(root, names);
  }
  if (isDir(join(root, 'train')) || isDir(join(root, 'test'))) return folderDataset(root);
  throw new DatasetError(
    DatasetErrorCodes.MISSING_FOLDER,
    `${root} is not a dataset of classes: expected train/<class>/ and test/<class>/ folders, CIFAR-10 batches (data_batch_1.bin, test_batch.bin) or IDX files (train-images-idx3-ubyte[.gz], …)`,
    { path: root },
  );
}
