/**
 * COCO JSON of a selection, produced as a stream of text chunks: `categories` from the classes of the confirmed
 * anomalies, one `images` entry per exported image (file_name = its path in the MVTec zip; `attributes` carry the
 * image-level label, so a confirmation without a mask is an image without annotations but `label: "anomalous"`),
 * one `annotations` entry per mask with its RLE (compressed string, pycocotools' form). Masks are read one at a
 * time, in a second pass over the selection, so only one mask is decoded at any moment.
 */
import type { FileStore } from '../files/file-store.js';
import type { BinaryMask } from '@linewatch/vision';
import { storedMask } from './masks.js';
import { areaAndBox, encodeRle, type Rle } from './rle.js';
import type { ExportItem } from './selection.js';

export interface CocoContext {
  line: string;
  exportedAt: Date;
  files: FileStore;
  maxPixels: number;
  /**
   * RLE, area and box of masks already decoded (by item id): the zip fills it while it writes the mask files, so
   * its coco.json, written last, decodes no mask a second time. A few hundred bytes per mask.
   */
  decoded?: Map<string, MaskSummary>;
}

export interface MaskSummary {
  rle: Rle;
  area: number;
  bbox: [number, number, number, number];
}

export function summarizeMask(mask: BinaryMask): MaskSummary {
  return { rle: encodeRle(mask), ...areaAndBox(mask) };
}

/** Category ids 1..n in sorted name order (COCO reserves 0). */
export function cocoCategories(items: readonly ExportItem[]): Map<string, number> {
  const names = [...new Set(items.flatMap((i) => (i.className === null ? [] : [i.className])))].sort();
  return new Map(names.map((n, i) => [n, i + 1]));
}

function imageEntry(item: ExportItem, id: number): unknown {
  return {
    id,
    file_name: item.imagePath,
    width: item.width,
    height: item.height,
    date_captured: item.ts.toISOString(),
    attributes: {
      label: item.className === null ? 'normal' : 'anomalous',
      class: item.className,
      source: item.source,
      masked: item.maskRef !== null,
      eventId: item.id,
      camera: item.camera,
    },
  };
}

async function annotationEntry(ctx: CocoContext, item: ExportItem, maskRef: string, ids: [number, number]) {
  const m = ctx.decoded?.get(item.id) ?? summarizeMask(await storedMask(ctx.files, maskRef, ctx.maxPixels));
  const [imageId, categoryId] = ids;
  return {
    id: imageId,
    image_id: imageId,
    category_id: categoryId,
    segmentation: m.rle,
    area: m.area,
    bbox: m.bbox,
    iscrowd: 0,
  };
}

export async function* cocoJson(ctx: CocoContext, items: readonly ExportItem[]): AsyncGenerator<string> {
  const categories = cocoCategories(items);
  const info = {
    description: `linewatch labels of line ${ctx.line}`,
    date_created: ctx.exportedAt.toISOString(),
    version: '1',
  };
  const cats = [...categories].map(([name, id]) => ({ id, name, supercategory: 'defect' }));
  yield `{"info":${JSON.stringify(info)},"licenses":[],"categories":${JSON.stringify(cats)},"images":[`;
  for (const [i, item] of items.entries()) yield `${i === 0 ? '' : ','}\n${JSON.stringify(imageEntry(item, i + 1))}`;
  yield '\n],"annotations":[';
  let first = true;
  for (const [i, item] of items.entries()) {
    const category = item.className === null ? undefined : categories.get(item.className);
    if (item.maskRef === null || category === undefined) continue;
    const entry = await annotationEntry(ctx, item, item.maskRef, [i + 1, category]);
    yield `${first ? '' : ','}\n${JSON.stringify(entry)}`;
    first = false;
  }
  yield '\n]}\n';
}
