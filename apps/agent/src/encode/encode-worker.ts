/**
 * Worker thread that encodes event pictures (encoder.ts says why). Inputs arrive transferred and outputs leave
 * transferred: the main thread's only per-event work is one copy of the frame.
 */
import { parentPort } from 'node:worker_threads';
import { reasonOf } from '../errors.js';
import { encodeEventImages } from './images.js';

export interface EncodeRequest {
  readonly id: number;
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly map: Float32Array;
  readonly mapWidth: number;
  readonly mapHeight: number;
  readonly threshold: number;
}

export type EncodeReply =
  | { readonly id: number; readonly ok: true; readonly jpeg: Uint8Array; readonly anomalyMap: Uint8Array }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** Its own ArrayBuffer moves; a view into a larger (pooled) one is copied out first. */
function own(a: Uint8Array): Uint8Array {
  return a.byteOffset === 0 && a.buffer.byteLength === a.byteLength && a.buffer instanceof ArrayBuffer ? a : a.slice();
}

const port = parentPort!;
port.on('message', (req: EncodeRequest) => {
  void encodeEventImages(
    { width: req.width, height: req.height, channels: 3, data: req.pixels },
    { width: req.mapWidth, height: req.mapHeight, data: req.map },
    req.threshold,
  ).then(
    (out) => {
      const jpeg = own(out.jpeg);
      const anomalyMap = own(out.anomalyMap);
      port.postMessage({ id: req.id, ok: true, jpeg, anomalyMap } satisfies EncodeReply, [
        jpeg.buffer as ArrayBuffer,
        anomalyMap.buffer as ArrayBuffer,
      ]);
    },
    (e: unknown) => port.postMessage({ id: req.id, ok: false, message: reasonOf(e) } satisfies EncodeReply),
  );
});
