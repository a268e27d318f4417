/**
 * Decoding JPEG/PNG bytes into typed images. Order of checks matters for untrusted input (uploads, camera files):
 * magic bytes first (cheap, no libvips), then the header's declared size against the pixel limit, and only then a
 * full decode, which sharp also guards with `limitInputPixels`.
 */
import sharp from 'sharp';
import { VisionError, VisionErrorCodes, badArgument } from './errors.js';
import type { GrayImage, RgbImage } from './image.js';
import { toRgb } from './image.js';

export type ImageFormat = 'jpeg' | 'png';

/** Default pixel limit: 40 MP covers industrial cameras while stopping decompression bombs. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export interface DecodeOptions {
  /** Largest accepted width × height (default {@link DEFAULT_MAX_PIXELS}). */
  readonly maxPixels?: number;
}

export interface ImageInfo {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
  /** Channels as stored (1 = gray, 2 = gray+alpha, 3 = RGB, 4 = RGBA). */
  readonly channels: number;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Format from the leading bytes, or undefined when neither JPEG (FF D8 FF) nor PNG. */
export function detectFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  return undefined;
}

function asView(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function maxPixelsOf(opts: DecodeOptions): number {
  const m = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isInteger(m) || m <= 0)
    throw badArgument(`maxPixels must be a positive integer, got ${m}`, { maxPixels: m });
  return m;
}

/** Reads format and size from the header only; throws UNSUPPORTED_FORMAT / UNREADABLE / TOO_LARGE. */
export async function readImageInfo(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<ImageInfo> {
  const maxPixels = maxPixelsOf(opts);
  const format = detectFormat(bytes);
  if (!format) {
    const head = Buffer.from(bytes.subarray(0, 8)).toString('hex');
    throw new VisionError(VisionErrorCodes.UNSUPPORTED_FORMAT, `not a JPEG or PNG (leading bytes ${head || 'none'})`, {
      leadingBytes: head,
      length: bytes.length,
    });
  }
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (e) {
    throw new VisionError(
      VisionErrorCodes.UNREADABLE,
      `${format} header unreadable: ${(e as Error).message}`,
      { format },
      { cause: e },
    );
  }
  const { width, height } = meta;
  if (!width || !height) throw new VisionError(VisionErrorCodes.UNREADABLE, `${format} header has no size`, { format });
  if (width * height > maxPixels) {
    throw new VisionError(VisionErrorCodes.TOO_LARGE, `${width}×${height} exceeds the ${maxPixels}-pixel limit`, {
      width,
      height,
      maxPixels,
    });
  }
  return { format, width, height, channels: meta.channels ?? 3 };
}

async function decodeRaw(bytes: Uint8Array, opts: DecodeOptions, gray: boolean) {
  const info = await readImageInfo(bytes, opts);
  try {
    // failOn 'warning' turns truncated/corrupt scans into errors instead of silently grey-filled pixels.
    let pipeline = sharp(bytes, { limitInputPixels: maxPixelsOf(opts), failOn: 'warning' }).removeAlpha();
    if (gray) pipeline = pipeline.greyscale();
    const { data, info: out } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { info, data: asView(data), width: out.width, height: out.height, channels: out.channels };
  } catch (e) {
    throw new VisionError(
      VisionErrorCodes.UNREADABLE,
      `${info.format} data unreadable: ${(e as Error).message}`,
      { format: info.format },
      { cause: e },
    );
  }
}

/**
 * Decodes JPEG/PNG to RGB (HWC). Grayscale is replicated to 3 channels, alpha dropped. EXIF orientation is NOT
 * applied: pixels stay as stored so ground-truth masks line up with their images.
 */
export async function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<RgbImage> {
  const r = await decodeRaw(bytes, opts, false);
  return toRgb(r.data, r.width, r.height, r.channels);
}

/** Decodes to one 8-bit channel (luma for colour input), e.g. for mask PNGs. */
export async function decodeGray(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<GrayImage> {
  const r = await decodeRaw(bytes, opts, true);
  const n = r.width * r.height;
  let data = r.data;
  if (r.channels !== 1) {
    data = new Uint8Array(n);
    for (let p = 0; p < n; p++) data[p] = r.data[p * r.channels]!;
  }
  return { width: r.width, height: r.height, channels: 1, data };
}
