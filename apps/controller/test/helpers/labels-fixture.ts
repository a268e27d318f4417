/**
 * A line with labelled review data for the label export/import tests: confirmed events with and without masks,
 * rejected false alarms, a pending event (never exported), sampled normals, and an event on another line. Frames are
 * distinct JPEGs (so a frame's sha256 identifies it after a round trip), masks random rectangles.
 */
import { randomUUID } from 'node:crypto';
import { encodeJpeg } from '@linewatch/vision';
import type { App } from '../../src/app.js';
import { grayPng } from './png.js';

export const W = 40;
export const H = 30;
const T0 = Date.UTC(2026, 10, 1, 8, 0, 0);

export interface Seeded {
  /** Class folder of each confirmation (by event id): its class, else its mask's dominant class, else anomalous. */
  folderOf: Map<string, string>;
  confirmedWithMask: string[];
  confirmedImageOnly: string[];
  rejected: string[];
  samples: string[];
  /** Capture time of the i-th seeded row (rows are one minute apart, in the order above). */
  tsOf: (i: number) => Date;
}

let frameSeed = 1;
/** A JPEG whose pixels depend on a fresh seed: no two fixture frames share bytes. */
export async function distinctJpeg(width = W, height = H): Promise<Buffer> {
  const seed = frameSeed++;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 97 + ((i * seed) % 251)) % 256;
  return encodeJpeg({ width, height, channels: 3, data }, { quality: 90 });
}

/** 0/255 mask with one rectangle whose place depends on `k`. */
export function rectMask(k: number, width = W, height = H): Uint8Array {
  const data = new Uint8Array(width * height);
  const x0 = (k * 7) % (width - 10);
  const y0 = (k * 5) % (height - 8);
  for (let y = y0; y < y0 + 6 + (k % 3); y++) for (let x = x0; x < x0 + 8 + (k % 4); x++) data[y * width + x] = 255;
  return grayPng(width, height, data);
}

export async function seedLine(app: App, line: string, reviewerId: string): Promise<Seeded> {
  const { store, files } = app.ctx;
  const mapRef = await files.put(grayPng(W, H, new Uint8Array(W * H)));
  const scratch = await store.classes.create({
    id: randomUUID(),
    line,
    name: 'scratch',
    color: '#ff0000',
    key: '1',
    createdAt: new Date(T0),
  });
  const dent = await store.classes.create({
    id: randomUUID(),
    line,
    name: 'deep dent',
    color: '#00ff00',
    key: null,
    createdAt: new Date(T0),
  });
  if (typeof scratch === 'string' || typeof dent === 'string')
    throw new Error(`fixture classes refused: ${scratch} ${dent}`);
  const out: Seeded = {
    folderOf: new Map(),
    confirmedWithMask: [],
    confirmedImageOnly: [],
    rejected: [],
    samples: [],
    tsOf: (i) => new Date(T0 + i * 60_000),
  };
  const plan: Array<'mask' | 'image' | 'rejected' | 'pending'> = [
    'mask',
    'image',
    'rejected',
    'mask',
    'pending',
    'image',
    'mask',
    'rejected',
  ];
  // Per confirmation in plan order: the class it names, and the class its mask paints (dominant-class fallback).
  const named = [scratch.id, dent.id, null, null, null, null, null];
  const painted = [null, null, null, dent.id, null, null, null];
  const folders = ['scratch', 'deep dent', '', 'deep dent', '', 'anomalous', 'anomalous'];
  let i = 0;
  for (const kind of plan) {
    const id = randomUUID();
    const ts = out.tsOf(i);
    const frameRef = await files.put(await distinctJpeg());
    const common = { line, camera: 'cam-1', ts, receivedAt: ts, modelVersion: 'm1', score: 2, threshold: 1 };
    await store.events.insertOnce({
      id,
      deviceId: `dev-${line}`,
      sequence: i,
      frameRef,
      mapRef,
      frameWidth: W,
      frameHeight: H,
      ...common,
    });
    i++;
    if (kind === 'pending') continue;
    const at = i - 1;
    await store.events.label(id, kind === 'rejected' ? 'rejected' : 'confirmed', reviewerId, ts, named[at] ?? null);
    if (kind !== 'rejected') out.folderOf.set(id, folders[at]!);
    if (kind === 'rejected') out.rejected.push(id);
    else if (kind === 'image') out.confirmedImageOnly.push(id);
    else {
      const ref = await files.put(rectMask(i));
      const paints = painted[at];
      const classes = paints ? [{ classId: paints, pixels: 40 }] : [];
      await store.events.saveMask(
        { eventId: id, ref, width: W, height: H, authorId: reviewerId, createdAt: ts },
        classes,
      );
      out.confirmedWithMask.push(id);
    }
  }
  for (let s = 0; s < 3; s++, i++) {
    const id = randomUUID();
    const ts = out.tsOf(i);
    const frameRef = await files.put(await distinctJpeg());
    await store.samples.insertOnce({
      id,
      deviceId: `dev-${line}`,
      sequence: 1000 + s,
      line,
      camera: 'cam-1',
      ts,
      receivedAt: ts,
      modelVersion: 'm1',
      score: 0.1,
      threshold: 1,
      frameRef,
      frameWidth: W,
      frameHeight: H,
    });
    out.samples.push(id);
  }
  return out;
}
