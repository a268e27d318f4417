/**
 * Stored masks → the binary masks an export carries (MVTec: a 0/255 PNG; COCO: RLE). A stored mask is the PNG the
 * reviewer saved (frame-sized, validated on save): the painter's indexed-colour PNG, where a palette index > 0 is
 * anomalous, or a plain one, where luma > 127 is (the vision library's mask rule).
 */
import { decodeMask, type BinaryMask } from '@linewatch/vision';
import type { FileStore } from '../files/file-store.js';

export async function storedMask(files: FileStore, ref: string, maxPixels: number): Promise<BinaryMask> {
  return decodeMask(await files.get(ref), { maxPixels });
}
