/**
 * What an export contains: a line's reviewed events and sampled normals in a capture-time range, as metadata only
 * (refs, sizes, names). The bytes are read one file at a time while the archive streams, so an export never holds
 * a line's images in memory.
 */
import { UNCLASSIFIED_CLASS } from '@linewatch/protocol/http';
import type { Store } from '../store/store.js';
import type { TimeRange } from '../store/labels-io-store.js';
import type { EventRow } from '../store/types.js';

export interface LabelSelection {
  line: string;
  range: TimeRange;
  /** Class names of the confirmed anomalies to keep (`anomalous` = unclassified); null keeps every class. */
  classes: ReadonlySet<string> | null;
  /** Newest sampled normals to include; null = all in the range. Rejected false alarms are always included. */
  maxNormals: number | null;
}

/** Where an exported image came from: a confirmation, a rejected false alarm, or a sampled normal frame. */
export type ItemSource = 'confirmed' | 'rejected' | 'sampled';

export interface ExportItem {
  id: string;
  source: ItemSource;
  camera: string;
  ts: Date;
  frameRef: string;
  width: number;
  height: number;
  /** Confirmed anomalies: the class folder name (`anomalous` when unclassified); null for normals. */
  className: string | null;
  maskRef: string | null;
  /** Paths inside the MVTec layout (also COCO's file_name). */
  imagePath: string;
  maskPath: string | null;
}

const PAGE = 500;

/**
 * A class name as an MVTec folder name: the name itself (spaces and non-ASCII included, so it round-trips) unless
 * it holds a path separator or control character, or starts with '.', which become '_'.
 */
export function classFolder(name: string): string {
  return name.replace(/[/\\\u0000-\u001f]/g, '_').replace(/^\./, '_');
}

function normalItem(
  source: ItemSource,
  r: Omit<ExportItem, 'source' | 'className' | 'maskRef' | 'imagePath' | 'maskPath'>,
): ExportItem {
  return {
    ...r,
    source,
    className: null,
    maskRef: null,
    imagePath: `train/good/${source}-${r.id}.jpg`,
    maskPath: null,
  };
}

function anomalyItem(e: EventRow, className: string, maskRef: string | null): ExportItem {
  const stem = `confirmed-${e.id}`;
  const folder = classFolder(className);
  return {
    id: e.id,
    source: 'confirmed',
    camera: e.camera,
    ts: e.ts,
    frameRef: e.frameRef,
    width: e.frameWidth,
    height: e.frameHeight,
    className,
    maskRef,
    imagePath: `test/${folder}/${stem}.jpg`,
    maskPath: maskRef === null ? null : `ground_truth/${folder}/${stem}_mask.png`,
  };
}

/**
 * Every item of the selection, oldest first: reviewed events, then sampled normals. A confirmation's class is the
 * class it names, else the class its mask paints most, else unclassified (`anomalous`).
 */
export async function selectLabels(store: Store, sel: LabelSelection): Promise<ExportItem[]> {
  const names = await store.labelsIo.classNames(sel.line);
  const classOf = (e: EventRow) =>
    (e.defectClassId === null ? undefined : names.byId.get(e.defectClassId)) ?? names.dominant.get(e.id) ?? null;
  const items: ExportItem[] = [];
  let after: { ts: Date; id: string } | null = null;
  for (;;) {
    const page = await store.labelsIo.reviewedPage(sel.line, sel.range, after, PAGE);
    const masks = await store.labelsIo.masksOf(page.filter((e) => e.labelStatus === 'confirmed').map((e) => e.id));
    for (const e of page) {
      const frame = {
        id: e.id,
        camera: e.camera,
        ts: e.ts,
        frameRef: e.frameRef,
        width: e.frameWidth,
        height: e.frameHeight,
      };
      if (e.labelStatus === 'rejected') {
        items.push(normalItem('rejected', frame));
        continue;
      }
      const className = classOf(e) ?? UNCLASSIFIED_CLASS;
      if (sel.classes && !sel.classes.has(className)) continue;
      items.push(anomalyItem(e, className, masks.get(e.id)?.ref ?? null));
    }
    const last = page[page.length - 1];
    if (page.length < PAGE || !last) break;
    after = { ts: last.ts, id: last.id };
  }
  const samples = await store.labelsIo.samples(sel.line, sel.range, sel.maxNormals);
  for (const s of samples.reverse()) {
    items.push(
      normalItem('sampled', {
        id: s.id,
        camera: s.camera,
        ts: s.ts,
        frameRef: s.frameRef,
        width: s.frameWidth,
        height: s.frameHeight,
      }),
    );
  }
  return items;
}
