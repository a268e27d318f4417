/**
 * Reads an MVTec layout from a list of relative paths (no bytes): `{train,test}/good/*` are normal images,
 * `{train,test}/<class>/*` defect images of that class (`anomalous` = unclassified), and
 * `ground_truth/<class>/<stem>_mask.png` the mask of the defect image `<stem>.*` of the same class. One wrapping
 * folder (`bottle/train/...`, as MVTec's archives have) is accepted. Hidden files, `__MACOSX/` and files outside the
 * layout are skipped and reported; a mask without its image, two defect images with one stem, or folders nested
 * inside a class folder are errors.
 */
import { UNCLASSIFIED_CLASS } from '@linewatch/protocol/http';
import { ctrlError } from '../errors.js';

const IMAGE = /\.(png|jpe?g)$/i;
const MASK_SUFFIX = '_mask.png';

export interface PlannedAnomaly {
  path: string;
  /** The class folder, or null for `anomalous` (unclassified). */
  className: string | null;
  /** The class folder as written (the result's per-class counts use it). */
  folder: string;
  maskPath: string | null;
}

export interface ImportPlan {
  normals: string[];
  anomalies: PlannedAnomaly[];
  skipped: string[];
}

const isJunk = (p: string) => p.split('/').some((s) => s.startsWith('.') || s === '__MACOSX');

/** '' when train/ or test/ is at the top, else the one folder that wraps them; a layout error otherwise. */
function layoutPrefix(paths: readonly string[]): string {
  const isSplit = (s: string | undefined) => s === 'train' || s === 'test';
  if (paths.some((p) => isSplit(p.split('/')[0]))) return '';
  const tops = new Set(paths.map((p) => p.split('/')[0]));
  const [only] = tops;
  if (tops.size === 1 && only !== undefined && paths.some((p) => isSplit(p.split('/')[1]))) return `${only}/`;
  throw ctrlError('LW_CTRL_IMPORT_LAYOUT', 'no train/ or test/ folder (MVTec layout: train/good, test/<class>)');
}

const stemOf = (file: string) => file.replace(/\.[^.]+$/, '');

interface Sorted {
  normals: string[];
  anomalies: Map<string, PlannedAnomaly>;
  masks: Map<string, string>;
  skipped: string[];
}

function sortPath(out: Sorted, path: string, parts: string[]): void {
  const [top, folder, file, ...deeper] = parts;
  const inLayout = top === 'train' || top === 'test' || top === 'ground_truth';
  if (!inLayout || folder === undefined || file === undefined) return void out.skipped.push(path);
  if (deeper.length > 0) throw ctrlError('LW_CTRL_IMPORT_LAYOUT', `folders nested inside ${top}/${folder}: ${path}`);
  if (top === 'ground_truth') {
    if (!file.endsWith(MASK_SUFFIX))
      throw ctrlError('LW_CTRL_IMPORT_LAYOUT', `ground-truth files are <stem>${MASK_SUFFIX}: ${path}`);
    out.masks.set(`${folder}/${file.slice(0, -MASK_SUFFIX.length)}`, path);
    return;
  }
  if (!IMAGE.test(file)) return void out.skipped.push(path);
  if (folder === 'good') return void out.normals.push(path);
  const key = `${folder}/${stemOf(file)}`;
  const other = out.anomalies.get(key);
  if (other)
    throw ctrlError('LW_CTRL_IMPORT_LAYOUT', `two defect images share the stem of one mask: ${other.path}, ${path}`);
  const className = folder === UNCLASSIFIED_CLASS ? null : folder;
  out.anomalies.set(key, { path, className, folder, maskPath: null });
}

export function planImport(paths: readonly string[]): ImportPlan {
  const junk = paths.filter(isJunk);
  const real = paths.filter((p) => !isJunk(p));
  const prefix = layoutPrefix(real);
  const out: Sorted = { normals: [], anomalies: new Map(), masks: new Map(), skipped: [...junk] };
  for (const path of [...real].sort()) {
    if (!path.startsWith(prefix)) out.skipped.push(path);
    else sortPath(out, path, path.slice(prefix.length).split('/'));
  }
  for (const [key, maskPath] of out.masks) {
    const image = out.anomalies.get(key);
    if (!image)
      throw ctrlError('LW_CTRL_IMPORT_MASK_ORPHAN', `mask ${maskPath} has no image ${key}.* in train/ or test/`);
    image.maskPath = maskPath;
  }
  if (out.normals.length + out.anomalies.size === 0)
    throw ctrlError('LW_CTRL_IMPORT_LAYOUT', 'no images in train/<folder> or test/<folder>');
  return { normals: out.normals, anomalies: [...out.anomalies.values()], skipped: out.skipped };
}
