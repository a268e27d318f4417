/**
 * Turns a line's review data into an immutable dataset snapshot: which frames train the fine-tune, with which loss,
 * and which are held out to compare candidate and parent.
 *
 * - confirmed with a painted mask → `px` (label 1, pixel loss L_px with the mask)
 * - confirmed without a mask      → `img` (label 1, image loss L_img)
 * - rejected false alarm          → `normal` (label 0)
 * - sampled normal frame          → `normal` (label 0)
 *
 * Each item also keeps its origin (confirmed-mask / confirmed-image / rejected / sampled-normal, `originOf`), and the
 * counts split `normal` into `rejected` and `sampled`, so neither is reported as the other.
 *
 * Normal data: rejected false alarms (the most useful normals, the ones the live model got wrong) plus the line's
 * most recent sampled normal frames (unflagged frames agents upload as `sampled: true`, capped by
 * jobs.maxNormalSamples). Beyond them, L_px's (1−y)·φ term trains on the normal (unmasked) positions of every `px`
 * frame.
 *
 * Held-out split: per class (kind), an item is held out when the first 48 bits of sha256(event id) / 2^48 fall
 * below the fraction — deterministic, independent of order and of what else is in the snapshot, so an event keeps
 * its split as the data grows. Then, where a class has ≥ 2 items, at least one is held out (the lowest hash) and at
 * least one trains (the highest hash); a class with a single item trains.
 */
import { createHash } from 'node:crypto';
import type { DatasetCounts, DatasetKind, DatasetOrigin, DatasetSplit } from '@linewatch/protocol/http';
import type { LabelledEvent, SnapshotItemRow, SplitCounts } from '../store/jobs-store.js';

export const KINDS: readonly DatasetKind[] = ['px', 'img', 'normal'];

export function kindOf(e: Pick<LabelledEvent, 'labelStatus' | 'maskRef'>): DatasetKind {
  if (e.labelStatus !== 'confirmed') return 'normal';
  return e.maskRef === null ? 'img' : 'px';
}

/**
 * Where an item's label came from. Both normal origins are kind 'normal'; they are kept apart so the Jobs page and
 * the worker's manifest count rejected false alarms and sampled normal frames separately.
 */
export function originOf(e: Pick<LabelledEvent, 'labelStatus' | 'maskRef'>): DatasetOrigin {
  if (e.labelStatus === 'confirmed') return e.maskRef === null ? 'confirmed-image' : 'confirmed-mask';
  return e.labelStatus === 'rejected' ? 'rejected' : 'sampled-normal';
}

/** Adds one item to per-kind counts; a normal also to its origin's count (rejected / sampled). */
export function countItem(c: DatasetCounts, kind: DatasetKind, origin: DatasetOrigin): void {
  c[kind]++;
  if (origin === 'rejected') c.rejected = (c.rejected ?? 0) + 1;
  else if (origin === 'sampled-normal') c.sampled = (c.sampled ?? 0) + 1;
}

/** Position of an event id in [0, 1), uniform and stable. */
export function splitHash(eventId: string): number {
  return createHash('sha256').update(eventId).digest().readUIntBE(0, 6) / 2 ** 48;
}

export function assignSplits(ids: string[], fraction: number): Map<string, DatasetSplit> {
  const ranked = ids.map((id) => ({ id, h: splitHash(id) })).sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1));
  const out = new Map<string, DatasetSplit>(ranked.map((r) => [r.id, r.h < fraction ? 'heldout' : 'train']));
  if (ranked.length >= 2) {
    const first = ranked[0];
    const last = ranked[ranked.length - 1];
    if (first && out.get(first.id) !== 'heldout') out.set(first.id, 'heldout');
    if (last && out.get(last.id) !== 'train') out.set(last.id, 'train');
  } else if (ranked[0]) {
    out.set(ranked[0].id, 'train');
  }
  return out;
}

export function emptyCounts(): SplitCounts {
  const zero = (): DatasetCounts => ({ px: 0, img: 0, normal: 0, rejected: 0, sampled: 0 });
  return { train: zero(), heldout: zero() };
}

export interface BuiltSnapshot {
  items: SnapshotItemRow[];
  counts: SplitCounts;
  /** sha256 over the sorted items' content (not the snapshot id): equal data, equal digest. */
  digest: string;
}

export function buildSnapshot(snapshotId: string, events: LabelledEvent[], fraction: number): BuiltSnapshot {
  const byKind = new Map<DatasetKind, LabelledEvent[]>(KINDS.map((k) => [k, []]));
  for (const e of events) byKind.get(kindOf(e))?.push(e);
  const items: SnapshotItemRow[] = [];
  const counts = emptyCounts();
  for (const kind of KINDS) {
    const group = byKind.get(kind) ?? [];
    const splits = assignSplits(
      group.map((e) => e.id),
      fraction,
    );
    for (const e of group) {
      const split = splits.get(e.id) ?? 'train';
      const origin = originOf(e);
      countItem(counts[split], kind, origin);
      items.push({
        snapshotId,
        eventId: e.id,
        kind,
        origin,
        split,
        label: kind === 'normal' ? 0 : 1,
        line: e.line,
        camera: e.camera,
        frameRef: e.frameRef,
        maskRef: kind === 'px' ? e.maskRef : null,
        width: e.frameWidth,
        height: e.frameHeight,
        defectClass: kind === 'normal' ? null : (e.defectClass ?? null),
      });
    }
  }
  items.sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  const h = createHash('sha256');
  // The class joins the digest only when there is one, so a snapshot without classes keeps its earlier digest.
  for (const i of items)
    h.update(
      `${i.eventId}\t${i.kind}\t${i.split}\t${i.frameRef}\t${i.maskRef ?? '-'}${i.defectClass ? `\t${i.defectClass}` : ''}\n`,
    );
  return { items, counts, digest: h.digest('hex') };
}

export function totalCounts(c: SplitCounts): Record<DatasetKind, number> {
  return { px: c.train.px + c.heldout.px, img: c.train.img + c.heldout.img, normal: c.train.normal + c.heldout.normal };
}
