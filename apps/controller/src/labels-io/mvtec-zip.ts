/**
 * The MVTec-layout zip of a selection, streamed: entries are queued with yazl's lazy read streams, so an image is
 * read from the file store only when the archive reaches it and yazl pipes it out under the consumer's
 * backpressure. JPEG frames are stored (already compressed), masks and the COCO JSON deflated.
 *
 *   train/good/{rejected,sampled}-<id>.jpg
 *   test/good/                                  (empty: the trainer's MVTec reader requires the folder)
 *   test/<class>/confirmed-<id>.jpg
 *   ground_truth/<class>/confirmed-<id>_mask.png
 *   coco.json                                   (the same selection as COCO; file_name = the paths above)
 */
import { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { encodeMaskPng } from '@linewatch/vision';
import { cocoJson, summarizeMask, type CocoContext, type MaskSummary } from './coco.js';
import { storedMask } from './masks.js';
import type { ExportItem } from './selection.js';

/** Reads the bytes only when yazl asks for the entry's stream; errors end the archive with that error. */
function lazyEntry(zip: ZipFile, path: string, compress: boolean, load: () => Promise<Uint8Array>, mtime: Date): void {
  zip.addReadStreamLazy(path, { compress, mtime }, (cb) => {
    load().then(
      (bytes) => cb(null, Readable.from([bytes])),
      (e: unknown) => cb(e instanceof Error ? e : new Error(String(e)), Readable.from([])),
    );
  });
}

export function mvtecZip(exportCtx: CocoContext, items: readonly ExportItem[]): Readable {
  const ctx = { ...exportCtx, decoded: new Map<string, MaskSummary>() };
  const zip = new ZipFile();
  const mtime = ctx.exportedAt;
  for (const dir of ['train/good/', 'test/good/']) zip.addEmptyDirectory(dir, { mtime });
  for (const item of items) {
    lazyEntry(zip, item.imagePath, false, () => ctx.files.get(item.frameRef), mtime);
    const { maskRef, maskPath } = item;
    if (maskRef !== null && maskPath !== null) {
      const maskPng = async () => {
        const mask = await storedMask(ctx.files, maskRef, ctx.maxPixels);
        ctx.decoded.set(item.id, summarizeMask(mask));
        return encodeMaskPng(mask);
      };
      lazyEntry(zip, maskPath, true, maskPng, mtime);
    }
  }
  zip.addReadStreamLazy('coco.json', { compress: true, mtime }, (cb) => cb(null, Readable.from(cocoJson(ctx, items))));
  zip.end();
  const out = Readable.from(zip.outputStream, { objectMode: false });
  // yazl reports a failed entry on the ZipFile; the consumer only sees the output stream, so fail that.
  zip.on('error', (e: Error) => out.destroy(e));
  return out;
}
