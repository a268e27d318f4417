/** A folder of classes: `root/train/<class>/*` and `root/test/<class>/*`. Lists directories only, never pixels. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError, DatasetErrorCodes } from './errors.js';
import { isImageFile, type Split } from './mvtec.js';

export interface ClassFile {
  readonly className: string;
  readonly path: string;
}

export interface ClassFolderListing {
  /** Class folder names found in either split, sorted. */
  readonly classes: readonly string[];
  /** Each split's images, by class then file name (a missing split is empty). */
  readonly files: Readonly<Record<Split, readonly ClassFile[]>>;
}

async function subdirs(path: string): Promise<string[] | null> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() || e.isSymbolicLink())
      .map((e) => e.name)
      .filter((n) => !n.startsWith('.'))
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new DatasetError(DatasetErrorCodes.MISSING_FOLDER, `cannot list ${path}`, { path }, { cause: e });
  }
}

export async function listClassFolders(root: string): Promise<ClassFolderListing> {
  const files: Record<Split, ClassFile[]> = { train: [], test: [] };
  const classes = new Set<string>();
  for (const split of ['train', 'test'] as const) {
    for (const className of (await subdirs(join(root, split))) ?? []) {
      classes.add(className);
      const names = (await readdir(join(root, split, className))).filter(isImageFile).sort();
      for (const name of names) files[split].push({ className, path: join(root, split, className, name) });
    }
  }
  if (files.train.length + files.test.length === 0)
    throw new DatasetError(DatasetErrorCodes.EMPTY, `no images under ${root}/{train,test}/<class>/`, { path: root });
  return { classes: [...classes].sort(), files };
}
