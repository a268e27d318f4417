/** Package-relative paths: forward slashes, no absolute paths, no "..", no empty or dot segments. */
import { PackageError } from './errors.js';

const SEGMENT = /^[A-Za-z0-9._-]+$/;

export function checkRelativePath(path: string): string {
  const segments = path.split('/');
  const ok =
    path.length > 0 &&
    path.length <= 200 &&
    segments.every((s) => s.length > 0 && s !== '.' && s !== '..' && SEGMENT.test(s));
  if (!ok) throw new PackageError('LW_PKG_UNSAFE_PATH', `unsafe package path "${path}"`, { path });
  return path;
}
