/**
 * Sequential reads of exact byte counts from a file that may be gzip-compressed (detected by its magic bytes, not its
 * name). The file is streamed: a 47 MB IDX image file or a 30 MB CIFAR-10 batch is never held whole, so picking a
 * few hundred images from it costs a pass over the bytes, not their memory.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DatasetError, DatasetErrorCodes } from './errors.js';

/** True when the file starts with gzip's magic bytes (1f 8b). */
export async function isGzipFile(path: string): Promise<boolean> {
  const fh = await openOrMissing(path);
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

async function openOrMissing(path: string) {
  try {
    return await open(path, 'r');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DatasetError(
      missing ? DatasetErrorCodes.MISSING_FILE : DatasetErrorCodes.UNREADABLE_IMAGE,
      `cannot open ${path}: ${(e as Error).message}`,
      { path },
      { cause: e },
    );
  }
}

export class ByteReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  /** Bytes handed out so far (the position in the uncompressed stream). */
  offset = 0;

  private constructor(
    readonly path: string,
    private readonly source: AsyncIterator<Buffer>,
    private readonly stream: Readable,
  ) {}

  static async open(path: string): Promise<ByteReader> {
    const gz = await isGzipFile(path);
    const raw = createReadStream(path, { highWaterMark: 1 << 20 });
    // pipeline forwards the file stream's errors to the gunzip stream, which the iterator rethrows.
    const stream = gz ? pipeline(raw, createGunzip(), () => {}) : raw;
    return new ByteReader(path, stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>, stream);
  }

  /** Pulls chunks until `n` bytes are buffered or the stream ends; false when it ended first. */
  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.ended) {
      let next: IteratorResult<Buffer>;
      try {
        next = await this.source.next();
      } catch (e) {
        // zlib's "unexpected end of file" is a cut-off .gz; anything else there is a corrupt one.
        const truncated = (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR';
        throw new DatasetError(
          truncated ? DatasetErrorCodes.TRUNCATED : DatasetErrorCodes.BAD_FORMAT,
          `${this.path}: ${truncated ? 'the gzip stream ends early' : `cannot decompress: ${(e as Error).message}`}`,
          { path: this.path, offset: this.offset + this.buffered },
          { cause: e },
        );
      }
      if (next.done) this.ended = true;
      else {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered >= n;
  }

  /** Exactly `n` bytes; LW_DATA_TRUNCATED (naming `what`) when the file ends first. */
  async read(n: number, what: string): Promise<Buffer> {
    if (!(await this.fill(n))) {
      throw new DatasetError(
        DatasetErrorCodes.TRUNCATED,
        `${this.path} is truncated: ${what} needs ${n} bytes at offset ${this.offset}, only ${this.buffered} left`,
        { path: this.path, offset: this.offset, needed: n, available: this.buffered },
      );
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks.length = 0;
    if (rest.length > 0) this.chunks.push(rest);
    this.buffered = rest.length;
    this.offset += n;
    return out;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  close(): void {
    this.stream.destroy();
  }
}
