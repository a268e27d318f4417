/**
 * Stored masks → the binary masks an export carries (MVTec: 0/255 PNG; COCO: RLE). A stored mask is the reviewer's
 * PNG as saved (frame-sized, validated on save); every pixel the vision library's mask rule marks (luma > 127) is
 * anomalous.
 */
import { decodeMask, encodeMaskPng, type BinaryMask } from '@linewatch/vision';
import type { FileStore } from '../files/file-store.js';

export async function storedMask(files: FileStore, ref: string, maxPixels: number): Promise<BinaryMask> {
  return decodeMask(await files.get(ref), { maxPixels });
}

/** 8-bit 0/255 PNG, the MVTec ground-truth convention. */
export async function binaryMaskPng(files: FileStore, ref: string, maxPixels: number): Promise<Buffer> {
  return encodeMaskPng(await storedMask(files, ref, maxPixels));
}
