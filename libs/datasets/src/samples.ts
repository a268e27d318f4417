/**
 * Lazy image/mask loading for dataset samples (from an MVTec folder or a JSONL manifest). Listing a dataset never
 * decodes anything; pixels are read one sample at a time, with a file-size limit before reading and vision's pixel
 * limit before decoding, so one bad file fails with a coded error that names it.
 */
import { readFile, stat } from 'node:fs/promises';
import type { BinaryMask, RgbImage } from '@linewatch/vision';
import {
  DEFAULT_MAX_PIXELS,
  VisionErrorCodes,
  decodeImage,
  decodeMask,
  emptyMask,
  isVisionError,
} from '@linewatch/vision';
import { DatasetError, DatasetErrorCodes } from './errors.js';

/** What every sample source provides: where the pixels are and what is known about them. */
export interface ImageRef {
  /** Absolute path of the image. */
  readonly path: string;
  /** Absolute path of the ground-truth mask, or null (normal image, or an image-level label only). */
  readonly maskPath: string | null;
  /** 0 normal, 1 anomalous, null unknown (unlabelled manifest entry). */
  readonly label: 0 | 1 | null;
}

export interface LoadLimits {
  /** Largest accepted width × height (default 40 MP). */
  readonly maxPixels?: number;
  /** Largest accepted file size in bytes (default 64 MiB). */
  readonly maxBytes?: number;
}

export interface LoadedSample<S extends ImageRef = ImageRef> {
  readonly sample: S;
  readonly image: RgbImage;
  /** Binary mask at image size; all zeros when the sample has no mask file. */
  readonly mask: BinaryMask;
  /** Whether `mask` came from a file (false: synthesised empty mask, i.e. no pixel labels). */
  readonly hasPixelLabels: boolean;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

async function readLimited(path: string, what: 'image' | 'mask', limits: LoadLimits): Promise<Buffer> {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > maxBytes) throw new Error(`file is ${st.size} bytes, over the ${maxBytes}-byte limit`);
    return await readFile(path);
  } catch (e) {
    const code =
      what === 'mask' && (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? DatasetErrorCodes.MISSING_MASK
        : DatasetErrorCodes.UNREADABLE_IMAGE;
    throw new DatasetError(code, `cannot read ${what} ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
}

/** Reads and decodes a sample's image (RGB; grayscale replicated). Throws LW_DATA_UNREADABLE_IMAGE naming the file. */
export async function loadImage(ref: Pick<ImageRef, 'path'>, limits: LoadLimits = {}): Promise<RgbImage> {
  const bytes = await readLimited(ref.path, 'image', limits);
  try {
    return await decodeImage(bytes, { maxPixels: limits.maxPixels ?? DEFAULT_MAX_PIXELS });
  } catch (e) {
    const reason = isVisionError(e) ? `${e.code} ${e.message}` : (e as Error).message;
    throw new DatasetError(
      DatasetErrorCodes.UNREADABLE_IMAGE,
      `cannot decode image ${ref.path}: ${reason}`,
      { path: ref.path },
      { cause: e },
    );
  }
}

/**
 * Loads a sample's mask, binarised (> 127 = anomalous) and checked against the image size. Without a mask file the
 * result is an all-zero mask of the given size.
 */
export async function loadMask(
  ref: ImageRef,
  size: { width: number; height: number },
  limits: LoadLimits = {},
): Promise<BinaryMask> {
  if (ref.maskPath === null) return emptyMask(size.width, size.height);
  const bytes = await readLimited(ref.maskPath, 'mask', limits);
  try {
    return await decodeMask(bytes, { expectedSize: size, maxPixels: limits.maxPixels ?? DEFAULT_MAX_PIXELS });
  } catch (e) {
    if (isVisionError(e) && e.code === VisionErrorCodes.SIZE_MISMATCH) {
      throw new DatasetError(
        DatasetErrorCodes.MASK_SIZE_MISMATCH,
        `mask ${ref.maskPath} is ${JSON.stringify(e.details['actual'])} but image ${ref.path} is ${size.width}×${size.height}`,
        { path: ref.path, maskPath: ref.maskPath, image: size, mask: e.details['actual'] },
        { cause: e },
      );
    }
    const reason = isVisionError(e) ? `${e.code} ${e.message}` : (e as Error).message;
    throw new DatasetError(
      DatasetErrorCodes.UNREADABLE_IMAGE,
      `cannot decode mask ${ref.maskPath}: ${reason}`,
      { path: ref.maskPath },
      { cause: e },
    );
  }
}

/** Image + mask of one sample. */
export async function loadSample<S extends ImageRef>(sample: S, limits: LoadLimits = {}): Promise<LoadedSample<S>> {
  const image = await loadImage(sample, limits);
  const mask = await loadMask(sample, image, limits);
  return { sample, image, mask, hasPixelLabels: sample.maskPath !== null };
}

/** Loads samples one after another (bounded memory: one decoded image at a time is held by this generator). */
export async function* iterateSamples<S extends ImageRef>(
  samples: readonly S[],
  limits: LoadLimits = {},
): AsyncGenerator<LoadedSample<S>> {
  for (const s of samples) yield await loadSample(s, limits);
}
