/**
 * On-disk cache of backbone features. The backbone is frozen, so features depend only on (image bytes, preprocessing
 * settings, backbone id); computing them once per image turns every later epoch/fine-tune into file reads.
 *
 * Key: sha256 over the image bytes' sha256, the canonical JSON of the settings (keys sorted) and the backbone id.
 * Layout: <dir>/<key[0..2]>/<key>.lwf. Entry format (little-endian):
 *   "LWFC" | u32 version=1 | u32 ndim | u32 shape[ndim] | f32 data[prod(shape)] | sha256(all preceding bytes)
 * Writes are atomic (temp file + rename). A entry that fails any check (size, magic, shape, checksum) is counted as
 * corrupt, deleted, and recomputed by getOrCompute — a crash or a flipped bit costs one recomputation, never wrong data.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { DatasetError, DatasetErrorCodes } from './errors.js';

export interface Features {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export interface FeatureCacheOptions {
  readonly dir: string;
  /** Identifies backbone weights + layer choice, e.g. "wide_resnet50_2@layer2+3#sha256:ab12…". */
  readonly backboneId: string;
  /** Preprocessing settings (any JSON value); part of the key so a settings change never reuses old features. */
  readonly settings: unknown;
}

export interface CacheStats {
  hits: number;
  misses: number;
  corrupt: number;
}

const MAGIC = 0x4346574c; // "LWFC" read as little-endian u32
const VERSION = 1;

/** JSON with object keys sorted at every level, so equal settings always hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checkFeatures(f: Features): void {
  const n = f.shape.reduce((a, b) => a * b, 1);
  if (
    f.shape.length === 0 ||
    f.shape.length > 8 ||
    !f.shape.every((d) => Number.isInteger(d) && d > 0) ||
    n !== f.data.length
  ) {
    throw new DatasetError(
      DatasetErrorCodes.BAD_ARGUMENT,
      `features shape [${f.shape.join(', ')}] does not match ${f.data.length} values`,
      {
        shape: f.shape,
        length: f.data.length,
      },
    );
  }
}

export function encodeEntry(f: Features): Buffer {
  checkFeatures(f);
  const header = Buffer.alloc(12 + 4 * f.shape.length);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(VERSION, 4);
  header.writeUInt32LE(f.shape.length, 8);
  f.shape.forEach((d, i) => header.writeUInt32LE(d, 12 + 4 * i));
  const body = Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength);
  const digest = createHash('sha256').update(header).update(body).digest();
  return Buffer.concat([header, body, digest]);
}

/** Parses an entry; returns undefined for anything malformed (the caller treats that as corruption). */
export function decodeEntry(buf: Buffer): Features | undefined {
  if (buf.length < 12 + 32 || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION) return undefined;
  const ndim = buf.readUInt32LE(8);
  if (ndim === 0 || ndim > 8 || buf.length < 12 + 4 * ndim + 32) return undefined;
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(buf.readUInt32LE(12 + 4 * i));
  const n = shape.reduce((a, b) => a * b, 1);
  const start = 12 + 4 * ndim;
  if (buf.length !== start + 4 * n + 32) return undefined;
  const digest = createHash('sha256')
    .update(buf.subarray(0, start + 4 * n))
    .digest();
  if (!digest.equals(buf.subarray(start + 4 * n))) return undefined;
  // Copy into a fresh, aligned buffer: file buffers may start at any byte offset.
  const data = new Float32Array(n);
  new Uint8Array(data.buffer).set(buf.subarray(start, start + 4 * n));
  return { data, shape };
}

export class FeatureCache {
  readonly dir: string;
  readonly stats: CacheStats = { hits: 0, misses: 0, corrupt: 0 };
  private readonly suffix: string;

  constructor(opts: FeatureCacheOptions) {
    if (endianness() !== 'LE')
      throw new DatasetError(DatasetErrorCodes.BAD_ARGUMENT, 'the feature cache format is little-endian only');
    if (typeof opts.backboneId !== 'string' || opts.backboneId.length === 0) {
      throw new DatasetError(DatasetErrorCodes.BAD_ARGUMENT, 'backboneId must be a non-empty string');
    }
    this.dir = opts.dir;
    this.suffix = `\u0000${canonicalJson(opts.settings)}\u0000${opts.backboneId}`;
  }

  /** Cache key of an image's encoded bytes (the file content, not decoded pixels). */
  keyFor(imageBytes: Uint8Array): string {
    return sha256Hex(sha256Hex(imageBytes) + this.suffix);
  }

  pathFor(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new DatasetError(DatasetErrorCodes.BAD_ARGUMENT, `invalid cache key ${key}`);
    return join(this.dir, key.slice(0, 2), `${key}.lwf`);
  }

  /** Stored features, or undefined when absent or corrupt (a corrupt entry is deleted and counted). */
  async get(key: string): Promise<Features | undefined> {
    const path = this.pathFor(key);
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new DatasetError(
        DatasetErrorCodes.CACHE_IO,
        `cannot read cache entry ${path}: ${(e as Error).message}`,
        { path },
        { cause: e },
      );
    }
    const f = decodeEntry(buf);
    if (!f) {
      this.stats.corrupt++;
      await rm(path, { force: true });
    }
    return f;
  }

  async put(key: string, features: Features): Promise<void> {
    const path = this.pathFor(key);
    const buf = encodeEntry(features);
    try {
      await writeFileAtomic(path, buf);
    } catch (e) {
      throw new DatasetError(
        DatasetErrorCodes.CACHE_IO,
        `cannot write cache entry ${path}: ${(e as Error).message}`,
        { path },
        { cause: e },
      );
    }
  }

  /** Returns cached features for the image bytes, or computes, stores and returns them. */
  async getOrCompute(
    imageBytes: Uint8Array,
    compute: () => Promise<Features> | Features,
  ): Promise<{ features: Features; hit: boolean }> {
    const key = this.keyFor(imageBytes);
    const cached = await this.get(key);
    if (cached) {
      this.stats.hits++;
      return { features: cached, hit: true };
    }
    this.stats.misses++;
    const features = await compute();
    await this.put(key, features);
    return { features, hit: false };
  }
}
