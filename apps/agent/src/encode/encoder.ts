/**
 * Event pictures (JPEG frame + anomaly-map PNG) are encoded in one shared worker thread, not on the agent's main
 * thread: set-up and copies around sharp's encode cost the main thread ≈ 1 ms per event (0.6 ms JPEG + 0.4 ms PNG
 * p50, up to 3 ms under load, measured 2026-12-03), and at line rate every such stall lands on the frames in flight —
 * a flagged frame every few dozen is enough to set p99. The worker is started on first use, holds the process open
 * only while it has work (like the inference workers), and is shared by every pipeline in the process.
 *
 * If the worker cannot start or dies, the event is encoded on the calling thread instead (and a new worker is started
 * for the next one): an event is never lost to the encoder.
 */
import type { Worker } from 'node:worker_threads';
import type { FloatMap, RgbImage } from '@linewatch/vision';
import { startModuleWorker } from '../model/worker-start.js';
import type { EncodeReply, EncodeRequest } from './encode-worker.js';
import { encodeEventImages } from './images.js';
import type { EventImages } from './images.js';

export type { EventImages } from './images.js';

interface Pending {
  readonly resolve: (r: EventImages) => void;
  readonly reject: (e: Error) => void;
}

class EncodeThread {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  dead = false;

  constructor(private readonly worker: Worker) {
    worker.on('message', (m: EncodeReply) => this.onReply(m));
    worker.on('error', (e) => this.fail(`encode worker failed: ${e.message}`));
    worker.on('exit', (code) => this.fail(`encode worker exited (${code})`));
    worker.unref(); // after the listeners: adding a 'message' listener refs the worker's port again
  }

  encode(frame: RgbImage, map: FloatMap, threshold: number): Promise<EventImages> {
    // Copies: the camera keeps its frame and the model result its map; the copies move to the worker. (Not
    // `.slice()`: on a Buffer that is a view, and moving its ArrayBuffer would take the camera's memory along.)
    const pixels = new Uint8Array(frame.data);
    const mapData = new Float32Array(map.data); // a typed-array copy (Float32Array.from would iterate)
    const id = this.nextId++;
    return new Promise<EventImages>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      const req: EncodeRequest = {
        id,
        pixels,
        width: frame.width,
        height: frame.height,
        map: mapData,
        mapWidth: map.width,
        mapHeight: map.height,
        threshold,
      };
      this.worker.postMessage(req, [pixels.buffer, mapData.buffer]);
    });
  }

  private onReply(m: EncodeReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    if (m.ok) p.resolve({ jpeg: m.jpeg, anomalyMap: m.anomalyMap });
    else p.reject(new Error(m.message));
  }

  private fail(reason: string): void {
    this.dead = true;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new WorkerGone(reason));
    }
  }
}

class WorkerGone extends Error {}

let shared: EncodeThread | undefined;

function thread(): EncodeThread | undefined {
  if (shared && !shared.dead) return shared;
  try {
    shared = new EncodeThread(startModuleWorker('encode-worker', import.meta.url));
  } catch {
    shared = undefined;
  }
  return shared;
}

/**
 * The event's pictures, encoded off the main thread. Rejects only if the images cannot be encoded at all (a bad
 * frame), never because the worker went away.
 */
export async function encodeEvent(frame: RgbImage, map: FloatMap, threshold: number): Promise<EventImages> {
  const t = thread();
  if (!t) return encodeEventImages(frame, map, threshold);
  try {
    return await t.encode(frame, map, threshold);
  } catch (e) {
    if (e instanceof WorkerGone) return encodeEventImages(frame, map, threshold);
    throw e;
  }
}

/** Starts the shared worker ahead of the first event (its start-up takes a core for a moment). */
export function startEncoder(): void {
  thread();
}
