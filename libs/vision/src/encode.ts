/** Encoding typed images to PNG/JPEG bytes via sharp. */
import sharp from 'sharp';
import { VisionError, VisionErrorCodes, badArgument } from './errors.js';
import type { GrayImage, RgbImage } from './image.js';
import { checkDims } from './image.js';

export interface PngOptions {
  /** zlib level 0–9 (default 6: good size/speed balance for per-event anomaly maps). */
  readonly compressionLevel?: number;
}

export interface JpegOptions {
  /** 1–100, default 85. */
  readonly quality?: number;
}

function rawInput(img: RgbImage | GrayImage): sharp.Sharp {
  checkDims(img.width, img.height);
  if (img.data.length !== img.width * img.height * img.channels) {
    throw badArgument(`image data has ${img.data.length} bytes, expected ${img.width}×${img.height}×${img.channels}`, {
      length: img.data.length,
    });
  }
  const p = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
  // libvips tags 1-band raw input as sRGB and would write an RGB PNG (colour type 2) / 3-component JPEG; 'b-w' keeps
  // single-channel images single-channel (PNG colour type 0), which the protocol requires for anomaly maps.
  return img.channels === 1 ? p.toColourspace('b-w') : p;
}

async function run(p: sharp.Sharp, format: string): Promise<Buffer> {
  try {
    return await p.toBuffer();
  } catch (e) {
    throw new VisionError(
      VisionErrorCodes.ENCODE_FAILED,
      `${format} encoding failed: ${(e as Error).message}`,
      { format },
      { cause: e },
    );
  }
}

/** Lossless PNG of an RGB or single-channel image. */
export async function encodePng(img: RgbImage | GrayImage, opts: PngOptions = {}): Promise<Buffer> {
  const level = opts.compressionLevel ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9)
    throw badArgument(`PNG compressionLevel must be 0–9, got ${level}`);
  return run(rawInput(img).png({ compressionLevel: level }), 'png');
}

/** JPEG (baseline, 4:2:0 chroma) of an RGB or single-channel image. */
export async function encodeJpeg(img: RgbImage | GrayImage, opts: JpegOptions = {}): Promise<Buffer> {
  const quality = opts.quality ?? 85;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100)
    throw badArgument(`JPEG quality must be 1–100, got ${quality}`);
  return run(rawInput(img).jpeg({ quality }), 'jpeg');
}
