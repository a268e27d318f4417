/**
 * Manifests over data that lives elsewhere. The JSONL manifest format only takes paths inside the manifest's folder
 * (no `..`), so a run's work folder links the dataset in (`<work>/<name>` → the dataset root) and its manifests name
 * images through the link. The user's dataset is never written to.
 */
import { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { writeManifest, type ManifestEntry } from '@linewatch/datasets';
import { TrainerError } from '../errors.js';

/** Makes `<work>/<name>` a link to `target` (replacing a stale link); returns the link's path. */
export function linkInto(work: string, name: string, target: string): string {
  mkdirSync(work, { recursive: true });
  const link = join(work, name);
  const st = lstatSync(link, { throwIfNoEntry: false });
  if (st?.isSymbolicLink() && resolve(work, readlinkSync(link)) === resolve(target)) return link;
  if (st?.isSymbolicLink()) rmSync(link);
  else if (st) throw new TrainerError('LW_TRAINER_EXISTS', `${link} exists and is not a link to ${target}`);
  symlinkSync(resolve(target), link, 'dir');
  return link;
}

export interface LinkedImage {
  /** Absolute path under the dataset root the link points at. */
  readonly path: string;
  readonly maskPath?: string | null;
  readonly label: 0 | 1;
  readonly defectType?: string;
}

/** A manifest in `work` naming each image as `<linkName>/<path relative to root>`. */
export async function writeLinkedManifest(
  file: string,
  linkName: string,
  root: string,
  images: readonly LinkedImage[],
): Promise<string> {
  const through = (p: string): string => [linkName, ...relative(root, p).split(sep)].join('/');
  const entries = images.map((i): ManifestEntry => ({
    image: through(i.path),
    ...(i.maskPath ? { mask: through(i.maskPath) } : {}),
    label: i.label,
    ...(i.defectType !== undefined ? { defectType: i.defectType.slice(0, 128) } : {}),
  }));
  await writeManifest(file, entries);
  return file;
}
