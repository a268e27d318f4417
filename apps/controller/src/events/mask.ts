/**
 * Mask uploads are untrusted images: check the PNG signature first (cheap), then decode with a pixel limit read
 * from the header before any full decode (decompression bombs), then require exactly the frame's size.
 */
import { decodeMask, detectFormat, isVisionError } from '@linewatch/vision';
import { ctrlError } from '../errors.js';

export async function validateMaskPng(
  bytes: Buffer,
  frame: { width: number; height: number },
  maxPixels: number,
): Promise<{ width: number; height: number }> {
  if (detectFormat(bytes) !== 'png')
    throw ctrlError('LW_CTRL_MASK_INVALID', 'mask must be a PNG (signature check failed)');
  try {
    const mask = await decodeMask(bytes, { maxPixels, expectedSize: frame });
    return { width: mask.width, height: mask.height };
  } catch (e) {
    if (isVisionError(e, 'LW_VISION_SIZE_MISMATCH')) {
      throw ctrlError('LW_CTRL_MASK_SIZE_MISMATCH', `mask must be ${frame.width}×${frame.height}`, { cause: e });
    }
    if (isVisionError(e)) throw ctrlError('LW_CTRL_MASK_INVALID', e.message, { cause: e });
    throw e;
  }
}
