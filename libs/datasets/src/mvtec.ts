/**
 * MVTec-AD folder layout:
 *
 *   root/train/good/*            normal training images
 *   root/train/<defect>/*        anomalous training images (optional; masks required like test defects unless
 *                                `requireMasks: false`)
 *   root/test/good/*             normal test images
 *   root/test/<defect>/*         anomalous test images
 *   root/ground_truth/<defect>/<stem>_mask.png
 *
 * Listing reads directories only (one readdir per folder, masks matched by name), never pixels.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { DatasetError, DatasetErrorCodes } from './errors.js';
import type { ImageRef } from './samples.js';

export type Split = 'train' | 'test';

export interface MvtecSample extends ImageRef {
  readonly split: Split;
  /** 'good' for normal images, otherwise the defect folder name. */
  readonly defectType: string;
  readonly label: 0 | 1;
  /** File name without extension (masks are `<stem>_mask.png`). */
  readonly stem: string;
}

export interface MvtecOptions {
  /** Splits to list (default both). A listed split must exist with a `good` folder. */
  readonly splits?: readonly Split[];
  /**
   * Defect images without a mask throw LW_DATA_MISSING_MASK (default true); false lists them with maskPath null
   * (image-level labels: some or all defect images, a missing `ground_truth/<defect>` folder included). A mask file
   * that is listed but unreadable or of the wrong size still fails when it is loaded.
   */
  readonly requireMasks?: boolean;
}

export interface MvtecDataset {
  readonly root: string;
  /** Defect types found in any listed split, sorted. */
  readonly defectTypes: readonly string[];
  readonly samples: readonly MvtecSample[];
}

export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png'];

export function isImageFile(name: string): boolean {
  return !name.startsWith('.') && IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());
}

async function listDir(path: string, what: string): Promise<{ dirs: string[]; files: string[] }> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    const dirs: string[] = [];
    const files: string[] = [];
    for (const e of entries) {
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        // Datasets are often assembled from symlinks; follow them (a dangling link is simply not listed).
        const st = await stat(join(path, e.name)).catch(() => undefined);
        isDir = st?.isDirectory() ?? false;
        isFile = st?.isFile() ?? false;
      }
      if (isDir) dirs.push(e.name);
      else if (isFile) files.push(e.name);
    }
    return { dirs: dirs.sort(), files: files.sort() };
  } catch (e) {
    throw new DatasetError(
      DatasetErrorCodes.MISSING_FOLDER,
      `${what} folder missing or unreadable: ${path}`,
      { path },
      { cause: e },
    );
  }
}

type MaskLookup = (defect: string) => Promise<Set<string> | null>;

/** The mask names of each defect type's ground_truth folder, read once (null: folder absent and masks optional). */
function maskLookup(root: string, requireMasks: boolean): MaskLookup {
  const maskDirs = new Map<string, Set<string> | null>();
  return async (defect) => {
    if (!maskDirs.has(defect)) {
      const dir = join(root, 'ground_truth', defect);
      try {
        maskDirs.set(defect, new Set((await listDir(dir, 'mask')).files));
      } catch (e) {
        if (requireMasks) throw e;
        maskDirs.set(defect, null);
      }
    }
    return maskDirs.get(defect)!;
  };
}

/** `<root>/ground_truth/<defect>/<stem>_mask.png` when present; a missing one is an error when masks are required. */
async function maskPathOf(
  root: string,
  defectType: string,
  path: string,
  stem: string,
  masksOf: MaskLookup,
  requireMasks: boolean,
): Promise<string | null> {
  const masks = await masksOf(defectType);
  const maskName = `${stem}_mask.png`;
  const expected = join(root, 'ground_truth', defectType, maskName);
  if (masks?.has(maskName)) return expected;
  if (requireMasks) {
    throw new DatasetError(DatasetErrorCodes.MISSING_MASK, `no mask for ${path}: expected ${expected}`, {
      path,
      expectedMask: expected,
    });
  }
  return null;
}

/** One split's images: `<split>/good` (normal) and `<split>/<defect>` folders, with their masks. */
async function loadSplit(
  root: string,
  split: Split,
  masksOf: MaskLookup,
  requireMasks: boolean,
): Promise<MvtecSample[]> {
  const splitDir = join(root, split);
  const kinds = (await listDir(splitDir, split)).dirs;
  if (!kinds.includes('good')) {
    throw new DatasetError(DatasetErrorCodes.MISSING_FOLDER, `normal-image folder missing: ${join(splitDir, 'good')}`, {
      path: join(splitDir, 'good'),
    });
  }
  const samples: MvtecSample[] = [];
  for (const defectType of kinds) {
    const files = (await listDir(join(splitDir, defectType), `${split}/${defectType}`)).files.filter(isImageFile);
    const normal = defectType === 'good';
    for (const name of files) {
      const stem = name.slice(0, name.length - extname(name).length);
      const path = join(splitDir, defectType, name);
      const maskPath = normal ? null : await maskPathOf(root, defectType, path, stem, masksOf, requireMasks);
      samples.push({ path, maskPath, label: normal ? 0 : 1, split, defectType, stem });
    }
  }
  return samples;
}

/** Lists an MVTec-layout dataset. Throws LW_DATA_MISSING_FOLDER / LW_DATA_MISSING_MASK / LW_DATA_EMPTY. */
export async function loadMvtec(root: string, opts: MvtecOptions = {}): Promise<MvtecDataset> {
  const splits = opts.splits ?? ['train', 'test'];
  const requireMasks = opts.requireMasks ?? true;
  const top = await listDir(root, 'dataset root');
  const masksOf = maskLookup(root, requireMasks);
  const samples: MvtecSample[] = [];
  for (const split of splits) {
    if (!top.dirs.includes(split)) {
      throw new DatasetError(DatasetErrorCodes.MISSING_FOLDER, `${split} folder missing: ${join(root, split)}`, {
        path: join(root, split),
      });
    }
    samples.push(...(await loadSplit(root, split, masksOf, requireMasks)));
  }
  if (samples.length === 0)
    throw new DatasetError(DatasetErrorCodes.EMPTY, `no images found under ${root}`, { path: root });
  const defectTypes = new Set(samples.filter((x) => x.label === 1).map((x) => x.defectType));
  return { root, defectTypes: [...defectTypes].sort(), samples };
}

export interface SplitCounts {
  readonly good: number;
  readonly defective: number;
  readonly byDefect: Readonly<Record<string, number>>;
  /** Defective images listed without a mask (image-level label only; only with `requireMasks: false`). */
  readonly withoutMask: number;
}

/** Counts per split: normal, defective, per defect type, and defective images without a mask. */
export function summarize(ds: MvtecDataset): Record<Split, SplitCounts> {
  type Counts = { good: number; defective: number; byDefect: Record<string, number>; withoutMask: number };
  const out = {} as Record<Split, Counts>;
  for (const split of ['train', 'test'] as const) out[split] = { good: 0, defective: 0, byDefect: {}, withoutMask: 0 };
  for (const s of ds.samples) {
    const c = out[s.split];
    if (s.label === 0) c.good++;
    else {
      c.defective++;
      c.byDefect[s.defectType] = (c.byDefect[s.defectType] ?? 0) + 1;
      if (s.maskPath === null) c.withoutMask++;
    }
  }
  return out;
}
