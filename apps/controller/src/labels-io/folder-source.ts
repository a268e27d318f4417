/**
 * A folder below the configured import root as an import source. The requested path must be relative; it and every
 * file or link found below it are resolved to real paths that must stay inside the root's real path (a symlink out
 * of the root is LW_CTRL_IMPORT_UNSAFE_PATH, not followed). Listing stops at the entry and byte limits.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ctrlError } from '../errors.js';
import { assertSafeRelative, isInside } from './paths.js';
import type { ImportSource, SourceEntry, SourceLimits } from './source.js';

/** Deeper than any MVTec layout (root/<category>/test/<class>/file) needs. */
const MAX_DEPTH = 8;

interface Walk {
  root: string;
  limits: SourceLimits;
  entries: SourceEntry[];
  total: number;
}

async function inside(walk: Walk, path: string, shown: string): Promise<string> {
  const real = await realpath(path);
  if (!isInside(walk.root, real))
    throw ctrlError('LW_CTRL_IMPORT_UNSAFE_PATH', `${shown} leads outside the import root`);
  return real;
}

async function walkDir(walk: Walk, dir: string, rel: string, depth: number): Promise<void> {
  if (depth > MAX_DEPTH) throw ctrlError('LW_CTRL_IMPORT_LAYOUT', `folders nested deeper than ${MAX_DEPTH} at ${rel}`);
  for (const d of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = rel === '' ? d.name : `${rel}/${d.name}`;
    const real = await inside(walk, join(dir, d.name), path);
    const st = await stat(real);
    if (st.isDirectory()) {
      await walkDir(walk, real, path, depth + 1);
    } else if (st.isFile()) {
      walk.total += st.size;
      walk.entries.push({ path, size: st.size });
      if (walk.entries.length > walk.limits.maxEntries)
        throw ctrlError('LW_CTRL_IMPORT_TOO_LARGE', `more than ${walk.limits.maxEntries} files`);
      if (walk.total > walk.limits.maxTotalBytes)
        throw ctrlError('LW_CTRL_IMPORT_TOO_LARGE', `more than ${walk.limits.maxTotalBytes} bytes`);
    }
  }
}

export async function openFolderSource(
  importRoot: string,
  relPath: string,
  limits: SourceLimits,
): Promise<ImportSource> {
  assertSafeRelative(relPath);
  const root = await realpath(importRoot).catch((e: unknown) => {
    throw ctrlError('LW_CTRL_IMPORT_ROOT_UNSET', `labels.importRoot ${importRoot} cannot be read`, { cause: e });
  });
  const walk: Walk = { root, limits, entries: [], total: 0 };
  const top = await inside(walk, join(root, relPath), relPath).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw ctrlError('LW_CTRL_NOT_FOUND', `no folder ${relPath} below the import root`);
    throw e;
  });
  if (!(await stat(top)).isDirectory()) throw ctrlError('LW_CTRL_IMPORT_LAYOUT', `${relPath} is not a folder`);
  await walkDir(walk, top, '', 0);
  const known = new Set(walk.entries.map((e) => e.path));
  return {
    entries: walk.entries,
    read: async (path) => {
      if (!known.has(path)) throw ctrlError('LW_CTRL_NOT_FOUND', `no file ${path}`);
      // Resolved again at read time: a link swapped in after listing still cannot lead out of the root.
      return readFile(await inside(walk, join(top, path), path));
    },
    close: async () => {},
  };
}
