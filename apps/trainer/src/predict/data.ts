/**
 * What `predict` scores: an MVTec-layout folder's test split (labels known from the folder names), any other folder
 * (every image below it, recursively, labels unknown), or a JSONL manifest (labels where the lines give one). Listed
 * before the model is opened, so a wrong path fails in milliseconds.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isImageFile, loadMvtec, readManifest, type Split } from '@linewatch/datasets';
import { TrainerError } from '../errors.js';

export interface PredictSample {
  /** Absolute path of the image. */
  readonly path: string;
  /** Path relative to the data root (the folder, or the manifest's folder), POSIX separators: the output rows' `path`. */
  readonly relPath: string;
  /** 0 normal, 1 anomalous, null unknown. */
  readonly label: 0 | 1 | null;
}

export interface PredictData {
  readonly kind: 'mvtec' | 'folder' | 'manifest';
  readonly root: string;
  readonly samples: readonly PredictSample[];
}

const posix = (p: string): string => p.split(/[\\/]/).join('/');

function listImages(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listImages(p));
    else if (entry.isFile() && isImageFile(entry.name)) out.push(p);
  }
  return out;
}

async function fromFolder(root: string, split: Split): Promise<PredictData> {
  if (statSync(join(root, split), { throwIfNoEntry: false })?.isDirectory()) {
    const ds = await loadMvtec(root, { splits: [split], requireMasks: false });
    const samples = ds.samples.map((s) => ({ path: s.path, relPath: posix(relative(root, s.path)), label: s.label }));
    return { kind: 'mvtec', root, samples };
  }
  const samples = listImages(root).map((p) => ({ path: p, relPath: posix(relative(root, p)), label: null }));
  return { kind: 'folder', root, samples };
}

export async function loadPredictData(path: string, split: Split = 'test'): Promise<PredictData> {
  const data = statSync(path).isDirectory()
    ? await fromFolder(path, split)
    : {
        kind: 'manifest' as const,
        root: path,
        samples: (await readManifest(path)).map((s) => ({
          path: s.path,
          relPath: posix(relative(dirname(path), s.path)),
          label: s.label,
        })),
      };
  if (data.samples.length === 0) {
    throw new TrainerError(
      'LW_TRAINER_BAD_VALUE',
      `--data ${path}: no images (${data.kind === 'mvtec' ? `the ${split} split is empty` : 'none found below it'})`,
      { path },
    );
  }
  return data;
}
