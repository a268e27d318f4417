/**
 * IDX files (the MNIST / Fashion-MNIST format), plain or gzipped: a magic of two zero bytes, a type byte (0x08 =
 * unsigned byte, the only type these datasets use) and the dimension count, then each dimension as a big-endian
 * uint32, then the data row-major. Images are `idx3` ([n, rows, cols]), labels `idx1` ([n]).
 */
import type { GrayImage } from '@linewatch/vision';
import { ByteReader } from './byte-reader.js';
import { DatasetError, DatasetErrorCodes } from './errors.js';

export interface IdxHeader {
  /** Dimensions, e.g. [60000, 28, 28]. */
  readonly dims: readonly number[];
  /** Bytes before the first record. */
  readonly headerBytes: number;
}

const UBYTE = 0x08;

async function readHeader(reader: ByteReader, expectDims: number): Promise<IdxHeader> {
  const magic = await reader.read(4, 'the IDX magic');
  if (magic[0] !== 0 || magic[1] !== 0 || magic[2] !== UBYTE || magic[3] !== expectDims) {
    throw new DatasetError(
      DatasetErrorCodes.BAD_FORMAT,
      `${reader.path} is not an unsigned-byte IDX file with ${expectDims} dimension(s): magic ${magic.toString('hex')}, expected 000008${expectDims.toString(16).padStart(2, '0')}`,
      { path: reader.path, magic: magic.toString('hex') },
    );
  }
  const dimBytes = await reader.read(4 * expectDims, 'the IDX dimensions');
  const dims = Array.from({ length: expectDims }, (_, i) => dimBytes.readUInt32BE(4 * i));
  if (dims.some((d) => d === 0)) {
    throw new DatasetError(DatasetErrorCodes.BAD_FORMAT, `${reader.path} has a zero dimension: ${dims.join('×')}`, {
      path: reader.path,
      dims,
    });
  }
  return { dims, headerBytes: 4 + 4 * expectDims };
}

/** All labels of an idx1 file (small: one byte per image). */
export async function readIdxLabels(path: string): Promise<Uint8Array> {
  const reader = await ByteReader.open(path);
  try {
    const { dims } = await readHeader(reader, 1);
    return new Uint8Array(await reader.read(dims[0]!, `${dims[0]} labels`));
  } finally {
    reader.close();
  }
}

export interface IdxImage {
  /** Position in the file (0-based). */
  readonly index: number;
  readonly image: GrayImage;
}

/**
 * Streams the images of an idx3 file in order, decoding only those `wanted(index)` accepts (all by default) and
 * stopping after `stopAfter` (an index bound: nothing at or past it is read). A file that ends before its header's
 * count is LW_DATA_TRUNCATED — when the read reaches the cut, so a short pass over the start of a cut file passes.
 */
export async function* iterateIdxImages(
  path: string,
  opts: { wanted?: (index: number) => boolean; stopAfter?: number } = {},
): AsyncGenerator<IdxImage> {
  const reader = await ByteReader.open(path);
  try {
    const { dims } = await readHeader(reader, 3);
    const [count, rows, cols] = dims as [number, number, number];
    const end = Math.min(count, opts.stopAfter ?? count);
    for (let index = 0; index < end; index++) {
      const bytes = await reader.read(rows * cols, `image ${index} of ${count}`);
      if (opts.wanted && !opts.wanted(index)) continue;
      yield { index, image: { width: cols, height: rows, channels: 1, data: new Uint8Array(bytes) } };
    }
  } finally {
    reader.close();
  }
}

/** The header of an idx3 image file (count, rows, cols), read without touching the images. */
export async function readIdxImageHeader(path: string): Promise<IdxHeader> {
  const reader = await ByteReader.open(path);
  try {
    return await readHeader(reader, 3);
  } finally {
    reader.close();
  }
}
