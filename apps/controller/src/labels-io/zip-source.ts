/**
 * An uploaded zip as an import source (yauzl, from the spooled temporary file: the central directory is read, the
 * entries' data only when the import reaches them). yauzl's own name checks (absolute, '..', backslash with
 * strictFileNames) and ours both answer LW_CTRL_IMPORT_UNSAFE_PATH; symbolic-link entries are refused too. The entry
 * count and the declared uncompressed total are checked before anything is read, and yauzl verifies each entry's
 * real size against its declared one while reading (zip bombs).
 */
import { promisify } from 'node:util';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { ctrlError, isControllerError } from '../errors.js';
import { assertSafeRelative } from './paths.js';
import type { ImportSource, SourceEntry, SourceLimits } from './source.js';

const openZip = promisify<string, yauzl.Options, ZipFile>(yauzl.open);

const UNSAFE_NAME = /^(invalid characters in fileName|absolute path|invalid relative path)/;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function zipError(e: unknown): Error {
  if (isControllerError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (UNSAFE_NAME.test(message)) return ctrlError('LW_CTRL_IMPORT_UNSAFE_PATH', message, { cause: e });
  return ctrlError('LW_CTRL_IMPORT_ZIP_INVALID', `the upload is not a readable zip: ${message}`, { cause: e });
}

function listEntries(zip: ZipFile, limits: SourceLimits): Promise<Map<string, Entry>> {
  return new Promise((resolve, reject) => {
    const byPath = new Map<string, Entry>();
    let total = 0;
    const fail = (e: unknown) => reject(zipError(e));
    zip.on('error', fail);
    zip.on('end', () => resolve(byPath));
    zip.on('entry', (entry: Entry) => {
      try {
        assertSafeRelative(entry.fileName);
        if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK)
          throw ctrlError('LW_CTRL_IMPORT_UNSAFE_PATH', `symbolic link in the zip: ${entry.fileName}`);
        if (!entry.fileName.endsWith('/')) {
          total += entry.uncompressedSize;
          if (total > limits.maxTotalBytes)
            throw ctrlError('LW_CTRL_IMPORT_TOO_LARGE', `the zip unpacks to more than ${limits.maxTotalBytes} bytes`);
          if (byPath.has(entry.fileName))
            throw ctrlError('LW_CTRL_IMPORT_LAYOUT', `the zip holds ${entry.fileName} twice`);
          byPath.set(entry.fileName, entry);
        }
        zip.readEntry();
      } catch (e) {
        zip.close();
        fail(e);
      }
    });
    zip.readEntry();
  });
}

function readEntry(zip: ZipFile, entry: Entry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(zipError(err));
      const parts: Buffer[] = [];
      stream.on('data', (b: Buffer) => parts.push(b));
      stream.on('error', (e) => reject(zipError(e)));
      stream.on('end', () => resolve(Buffer.concat(parts)));
    });
  });
}

export async function openZipSource(file: string, limits: SourceLimits): Promise<ImportSource> {
  let zip: ZipFile;
  try {
    zip = await openZip(file, { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true });
  } catch (e) {
    throw zipError(e);
  }
  try {
    if (zip.entryCount > limits.maxEntries)
      throw ctrlError('LW_CTRL_IMPORT_TOO_LARGE', `the zip has ${zip.entryCount} entries (limit ${limits.maxEntries})`);
    const byPath = await listEntries(zip, limits);
    const entries: SourceEntry[] = [...byPath.values()].map((e) => ({ path: e.fileName, size: e.uncompressedSize }));
    return {
      entries,
      read: (path) => {
        const entry = byPath.get(path);
        if (!entry) return Promise.reject(ctrlError('LW_CTRL_NOT_FOUND', `no entry ${path}`));
        return readEntry(zip, entry);
      },
      close: async () => zip.close(),
    };
  } catch (e) {
    zip.close();
    throw e;
  }
}
