/**
 * The defect classes a mask upload paints. An indexed-colour PNG's palette indices are classes of the event's line
 * (0 = background, 255 = a stroke without a class); an index that is none of them is refused, so a saved mask never
 * carries a class nobody can name. Any other PNG (a binary mask) paints no class.
 */
import { decodeIndexedPng, indexCounts, isIndexedPng } from '@linewatch/vision';
import { UNCLASSIFIED_PALETTE_INDEX } from '@linewatch/protocol/http';
import { ctrlError } from '../errors.js';
import type { DefectClassRow } from '../store/classes-store.js';
import type { MaskClassRow } from '../store/types.js';

export function maskClassesOf(bytes: Uint8Array, classes: DefectClassRow[], maxPixels: number): MaskClassRow[] {
  if (!isIndexedPng(bytes)) return [];
  const byIndex = new Map(classes.map((c) => [c.paletteIndex, c]));
  const out: MaskClassRow[] = [];
  for (const [index, pixels] of indexCounts(decodeIndexedPng(bytes, { maxPixels }))) {
    if (index === 0 || index === UNCLASSIFIED_PALETTE_INDEX) continue;
    const c = byIndex.get(index);
    if (!c) throw ctrlError('LW_CTRL_MASK_CLASS_UNKNOWN', `palette index ${index} is none of the line's classes`);
    out.push({ classId: c.id, pixels });
  }
  return out.sort((a, b) => b.pixels - a.pixels);
}
