/**
 * A label zip upload is spooled to a private temporary file as it arrives (never held in memory), counting bytes:
 * over the limit the upload stops with LW_CTRL_IMPORT_TOO_LARGE (413) and the partial file is removed. A declared
 * Content-Length over the limit is refused before a byte is read. The zip reader then needs random access (the
 * central directory sits at the end), which the file gives.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ctrlError } from '../errors.js';

export class SpooledUpload {
  constructor(
    readonly file: string,
    private readonly dir: string,
    readonly bytes: number,
  ) {}
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

const tooLarge = (max: number) =>
  ctrlError('LW_CTRL_IMPORT_TOO_LARGE', `the upload exceeds labels.maxImportBytes (${max})`);

export async function spoolUpload(
  payload: Readable,
  declaredLength: number | null,
  maxBytes: number,
): Promise<SpooledUpload> {
  if (declaredLength !== null && declaredLength > maxBytes) throw tooLarge(maxBytes);
  const dir = await mkdtemp(join(tmpdir(), 'lw-labels-'));
  const file = join(dir, 'upload.zip');
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(bytes > maxBytes ? tooLarge(maxBytes) : null, chunk);
    },
  });
  try {
    await pipeline(payload, limit, createWriteStream(file, { mode: 0o600 }));
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return new SpooledUpload(file, dir, bytes);
}
