/**
 * Content-addressed blob store for frames, anomaly maps and masks. A blob's reference is its sha256 (hex); the path
 * is generated from the reference alone, and references are validated as 64 hex digits, so no caller-supplied
 * string ever reaches the file system (path traversal is impossible by construction). Writes are atomic: temp file
 * in the same directory tree, fsync, rename.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ctrlError } from '../errors.js';

export interface FileStore {
  /** Stores the bytes (idempotent) and returns their reference. */
  put(bytes: Uint8Array): Promise<string>;
  /** Throws LW_CTRL_FILE_REF_INVALID for a malformed reference, LW_CTRL_BLOB_NOT_FOUND when absent. */
  get(ref: string): Promise<Buffer>;
  has(ref: string): Promise<boolean>;
  /** Removes the blob (idempotent). Callers make sure nothing still references it. */
  delete(ref: string): Promise<void>;
  /** Byte length of a blob; LW_CTRL_BLOB_NOT_FOUND when absent. */
  size(ref: string): Promise<number>;
  /**
   * Bytes `start..endInclusive` of a blob without reading the rest (resumed package downloads). Throws
   * LW_CTRL_RANGE_NOT_SATISFIABLE unless 0 <= start <= endInclusive < size.
   */
  getRange(ref: string, start: number, endInclusive: number): Promise<Buffer>;
  /** Readiness: resolves when the store can be read and written now, throws (with the cause) when it cannot. */
  probe(): Promise<void>;
}

const REF = /^[0-9a-f]{64}$/;

export function refOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function assertRef(ref: string): void {
  if (!REF.test(ref)) throw ctrlError('LW_CTRL_FILE_REF_INVALID');
}

/** The one range rule every store applies, so they fail alike. */
export function assertRange(start: number, endInclusive: number, size: number): void {
  const ok = Number.isSafeInteger(start) && Number.isSafeInteger(endInclusive) && start >= 0;
  if (!ok || endInclusive < start || endInclusive >= size) {
    throw ctrlError('LW_CTRL_RANGE_NOT_SATISFIABLE', `bytes ${start}-${endInclusive} of a ${size}-byte blob`, {
      details: { size },
    });
  }
}

/** ENOENT → LW_CTRL_BLOB_NOT_FOUND; anything else as it is. */
function rethrowMissing(e: unknown): never {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw ctrlError('LW_CTRL_BLOB_NOT_FOUND');
  throw e;
}

export class DiskFileStore implements FileStore {
  constructor(private readonly root: string) {}

  /** ab/cd/abcd…: two fan-out levels keep directories small. */
  pathOf(ref: string): string {
    assertRef(ref);
    return join(this.root, 'blobs', ref.slice(0, 2), ref.slice(2, 4), ref);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const ref = refOf(bytes);
    const dest = this.pathOf(ref);
    if (await this.has(ref)) return ref;
    await mkdir(join(dest, '..'), { recursive: true });
    const tmp = `${dest}.${randomBytes(6).toString('hex')}.tmp`;
    const fh = await open(tmp, 'wx', 0o640);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      // Concurrent writers of the same content rename identical bytes onto the same name: last one wins, harmlessly.
      await rename(tmp, dest);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return ref;
  }

  async get(ref: string): Promise<Buffer> {
    const p = this.pathOf(ref);
    try {
      return await readFile(p);
    } catch (e) {
      return rethrowMissing(e);
    }
  }

  async size(ref: string): Promise<number> {
    const p = this.pathOf(ref);
    try {
      return (await stat(p)).size;
    } catch (e) {
      return rethrowMissing(e);
    }
  }

  async getRange(ref: string, start: number, endInclusive: number): Promise<Buffer> {
    const p = this.pathOf(ref);
    const fh = await open(p, 'r').catch(rethrowMissing);
    try {
      assertRange(start, endInclusive, (await fh.stat()).size);
      const out = Buffer.alloc(endInclusive - start + 1);
      let got = 0;
      while (got < out.length) {
        const { bytesRead } = await fh.read(out, got, out.length - got, start + got);
        if (bytesRead === 0) break; // cannot happen for an immutable blob; never spin
        got += bytesRead;
      }
      return out.subarray(0, got);
    } finally {
      await fh.close();
    }
  }

  async has(ref: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(ref))).isFile();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  async delete(ref: string): Promise<void> {
    await rm(this.pathOf(ref), { force: true });
  }

  /** The blob root exists and is writable (a full or read-only disk shows here, not at the next event). */
  async probe(): Promise<void> {
    const dir = join(this.root, 'blobs');
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  }
}

/** In-memory default for tests and throw-away runs. */
export class MemoryFileStore implements FileStore {
  private readonly blobs = new Map<string, Buffer>();

  async put(bytes: Uint8Array): Promise<string> {
    const ref = refOf(bytes);
    if (!this.blobs.has(ref)) this.blobs.set(ref, Buffer.from(bytes));
    return ref;
  }
  private blob(ref: string): Buffer {
    assertRef(ref);
    const b = this.blobs.get(ref);
    if (!b) throw ctrlError('LW_CTRL_BLOB_NOT_FOUND');
    return b;
  }
  async get(ref: string): Promise<Buffer> {
    return Buffer.from(this.blob(ref));
  }
  async size(ref: string): Promise<number> {
    return this.blob(ref).length;
  }
  async getRange(ref: string, start: number, endInclusive: number): Promise<Buffer> {
    const b = this.blob(ref);
    assertRange(start, endInclusive, b.length);
    return Buffer.from(b.subarray(start, endInclusive + 1));
  }
  async has(ref: string): Promise<boolean> {
    assertRef(ref);
    return this.blobs.has(ref);
  }
  async delete(ref: string): Promise<void> {
    assertRef(ref);
    this.blobs.delete(ref);
  }
  async probe(): Promise<void> {}
}
