/**
 * Imports a planned MVTec layout as labelled data of a line: good images become sampled normal frames, defect
 * images confirmed events (reviewer = the importing admin), their masks saved masks. Frames go through the file
 * store like events' frames: JPEG bytes as they are, PNG transcoded to JPEG (quality 95) because every consumer of
 * event frames (review UI, dataset snapshots, trainer) reads JPEG. Imported events have no anomaly map (a black
 * one of the frame's size stands in), were never scored (score 0, threshold 1) and carry modelVersion `import`.
 *
 * All or nothing: every file is read, checked and stored first, then all rows go in one transaction; on any
 * failure the blobs this import created are deleted again and no row exists.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  decodeImage,
  decodeMask,
  encodeJpeg,
  encodeMaskPng,
  encodePng,
  isVisionError,
  readImageInfo,
} from '@linewatch/vision';
import type { LabelImportResult } from '@linewatch/protocol/http';
import { UNCLASSIFIED_CLASS } from '@linewatch/protocol/http';
import type { Ctx } from '../context.js';
import { ctrlError } from '../errors.js';
import { refOf } from '../files/file-store.js';
import type { ImportedEvent, ImportRows } from '../store/labels-io-store.js';
import type { NormalSampleRow } from '../store/samples-store.js';
import { importClasses } from './import-classes.js';
import { planImport, type PlannedAnomaly } from './layout.js';
import type { ImportSource } from './source.js';

export interface ImportTarget {
  line: string;
  camera: string;
  userId: string;
}

const IMPORT_MODEL_VERSION = 'import';
const JPEG_QUALITY = 95;
const SKIPPED_SHOWN = 50;

interface Frame {
  ref: string;
  width: number;
  height: number;
}

/** Blob writes that remember which refs did not exist before, so a failed import can remove exactly those. */
class FreshBlobs {
  readonly created: string[] = [];
  constructor(private readonly ctx: Ctx) {}
  async put(bytes: Uint8Array): Promise<string> {
    const existed = await this.ctx.files.has(refOf(bytes));
    const ref = await this.ctx.files.put(bytes);
    if (!existed) this.created.push(ref);
    return ref;
  }
  async removeCreated(): Promise<void> {
    for (const ref of this.created) await this.ctx.files.delete(ref).catch(() => {});
  }
}

function imageError(path: string, e: unknown): Error {
  if (isVisionError(e, 'LW_VISION_SIZE_MISMATCH'))
    return ctrlError('LW_CTRL_MASK_SIZE_MISMATCH', `${path}: ${e.message}`, { cause: e });
  if (isVisionError(e)) return ctrlError('LW_CTRL_IMPORT_IMAGE_INVALID', `${path}: ${e.message}`, { cause: e });
  return e instanceof Error ? e : new Error(String(e));
}

async function storeFrame(ctx: Ctx, blobs: FreshBlobs, source: ImportSource, path: string): Promise<Frame> {
  const bytes = await source.read(path);
  const maxPixels = ctx.config.ingest.maxMaskPixels;
  try {
    const info = await readImageInfo(bytes, { maxPixels });
    const jpeg =
      info.format === 'jpeg'
        ? bytes
        : await encodeJpeg(await decodeImage(bytes, { maxPixels }), { quality: JPEG_QUALITY });
    return { ref: await blobs.put(jpeg), width: info.width, height: info.height };
  } catch (e) {
    throw imageError(path, e);
  }
}

async function storeMask(
  ctx: Ctx,
  blobs: FreshBlobs,
  source: ImportSource,
  path: string,
  frame: Frame,
): Promise<string> {
  const bytes = await source.read(path);
  try {
    const size = { width: frame.width, height: frame.height };
    const mask = await decodeMask(bytes, { maxPixels: ctx.config.ingest.maxMaskPixels, expectedSize: size });
    return await blobs.put(await encodeMaskPng(mask));
  } catch (e) {
    throw imageError(path, e);
  }
}

/** A black anomaly map per frame size (content-addressed: one blob per size). */
function blankMaps(blobs: FreshBlobs): (f: Frame) => Promise<string> {
  const bySize = new Map<string, Promise<string>>();
  return (f) => {
    const key = `${f.width}x${f.height}`;
    let ref = bySize.get(key);
    if (!ref) {
      ref = encodePng({ width: f.width, height: f.height, channels: 1, data: new Uint8Array(f.width * f.height) }).then(
        (png) => blobs.put(png),
      );
      bySize.set(key, ref);
    }
    return ref;
  };
}

interface Rows extends ImportRows {
  /** Defect images per class (`anomalous` = unclassified), for the result. */
  perClass: Record<string, number>;
}

async function storeFiles(ctx: Ctx, blobs: FreshBlobs, source: ImportSource, target: ImportTarget, batch: string) {
  const plan = planImport(source.entries.map((e) => e.path));
  const now = ctx.clock.now();
  const named = plan.anomalies.flatMap((a) => (a.className === null ? [] : [a.className]));
  const classes = await importClasses(ctx, target.line, named, now);
  const rows: Rows = { classes: classes.created, events: [], masks: [], samples: [], perClass: {} };
  const common = { deviceId: batch, line: target.line, camera: target.camera, ts: now, receivedAt: now };
  const unscored = { modelVersion: IMPORT_MODEL_VERSION, score: 0, threshold: 1 };
  let sequence = 0;
  for (const path of plan.normals) {
    const f = await storeFrame(ctx, blobs, source, path);
    const sample: NormalSampleRow = {
      id: randomUUID(),
      sequence: sequence++,
      ...common,
      ...unscored,
      frameRef: f.ref,
      frameWidth: f.width,
      frameHeight: f.height,
    };
    rows.samples.push(sample);
  }
  const mapOf = blankMaps(blobs);
  for (const a of plan.anomalies) {
    const f = await storeFrame(ctx, blobs, source, a.path);
    const event: ImportedEvent = {
      id: randomUUID(),
      sequence: sequence++,
      ...common,
      ...unscored,
      frameRef: f.ref,
      mapRef: await mapOf(f),
      frameWidth: f.width,
      frameHeight: f.height,
      labelStatus: 'confirmed',
      reviewerId: target.userId,
      reviewedAt: now,
      defectClassId: a.className === null ? null : (classes.idOf.get(a.className) ?? null),
    };
    rows.events.push(event);
    countClass(rows.perClass, a);
    if (a.maskPath === null) continue;
    const ref = await storeMask(ctx, blobs, source, a.maskPath, f);
    rows.masks.push({
      eventId: event.id,
      ref,
      width: f.width,
      height: f.height,
      authorId: target.userId,
      createdAt: now,
    });
  }
  return { rows, skipped: plan.skipped };
}

function countClass(classes: Record<string, number>, a: PlannedAnomaly): void {
  const name = a.className ?? UNCLASSIFIED_CLASS;
  classes[name] = (classes[name] ?? 0) + 1;
}

export async function importLabels(ctx: Ctx, source: ImportSource, target: ImportTarget): Promise<LabelImportResult> {
  const batch = `import-${randomBytes(6).toString('hex')}`;
  const blobs = new FreshBlobs(ctx);
  try {
    const { rows, skipped } = await storeFiles(ctx, blobs, source, target, batch);
    await ctx.store.labelsIo.saveImport(rows);
    return {
      line: target.line,
      camera: target.camera,
      batch,
      normals: rows.samples.length,
      anomalies: rows.events.length,
      masks: rows.masks.length,
      classes: rows.perClass,
      createdClasses: rows.classes.map((c) => c.name),
      skipped: skipped.slice(0, SKIPPED_SHOWN),
      skippedCount: skipped.length,
    };
  } catch (e) {
    // A blob this import created is referenced by no row (the rows went in one transaction that failed).
    await blobs.removeCreated();
    throw e;
  }
}
