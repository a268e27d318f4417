/**
 * The pictures a flagged (or sampled) frame's event carries: the frame as JPEG and the anomaly map as an 8-bit
 * grayscale PNG over [0, max(map max, threshold)] — the same bytes whether encoded in the encode worker or, as a
 * fallback, on the calling thread.
 */
import { encodeJpeg, heatmapPng } from '@linewatch/vision';
import type { FloatMap, RgbImage } from '@linewatch/vision';

export const JPEG_QUALITY = 85;

export interface EventImages {
  readonly jpeg: Uint8Array;
  readonly anomalyMap: Uint8Array;
}

/** The map's colour scale: up to its maximum, or the threshold when that is higher (so a faint map stays faint). */
export function mapRange(map: FloatMap, threshold: number): [number, number] {
  let max = 0;
  for (let i = 0; i < map.data.length; i++) if (map.data[i]! > max) max = map.data[i]!;
  return [0, Math.max(max, threshold, 1e-6)];
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export async function encodeEventImages(frame: RgbImage, map: FloatMap, threshold: number): Promise<EventImages> {
  const [jpeg, anomalyMap] = await Promise.all([
    encodeJpeg(frame, { quality: JPEG_QUALITY }),
    heatmapPng(map, { range: mapRange(map, threshold) }),
  ]);
  return { jpeg: bytes(jpeg), anomalyMap: bytes(anomalyMap) };
}
