/**
 * Entry paths of an import (zip entry names, files below a folder) are untrusted: only plain relative paths of
 * ordinary segments pass. Nothing is ever written under these names (bytes go to the content-addressed file store),
 * but a zip-slip name is refused outright rather than interpreted.
 */
import { isAbsolute, relative, sep } from 'node:path';
import { ctrlError } from '../errors.js';

/** Throws LW_CTRL_IMPORT_UNSAFE_PATH unless `p` is `seg/seg/…` without '.', '..', '\\', NUL, drive or leading '/'. */
export function assertSafeRelative(p: string): void {
  const bad =
    p === '' ||
    p.startsWith('/') ||
    /^[A-Za-z]:/.test(p) ||
    p.includes('\\') ||
    p.includes('\0') ||
    p
      .replace(/\/$/, '')
      .split('/')
      .some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw ctrlError('LW_CTRL_IMPORT_UNSAFE_PATH', `unsafe path in the import: ${JSON.stringify(p)}`);
}

/** Whether `child` (a resolved real path) is `root` or below it. */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
