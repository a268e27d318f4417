/**
 * Request bodies → RGB images, and images out (heatmap, mask). Untrusted input: the body is bounded by fastify's
 * bodyLimit before it gets here; JPEG/PNG are checked by magic bytes and declared size before a full decode (a
 * decompression bomb stops at the header); raw RGB must be exactly width × height × 3 bytes.
 */
import type { FloatMap, RgbImage } from '@linewatch/vision';
import { decodeImage, encodeMaskPng, heatmapPng, isVisionError, resizeMap, VisionErrorCodes } from '@linewatch/vision';
import { AgentError, reasonOf } from '../../errors.js';

export const RAW_RGB = 'application/octet-stream';
export const IMAGE_TYPES = ['image/jpeg', 'image/png', RAW_RGB] as const;

export interface RawSize {
  readonly width?: number | undefined;
  readonly height?: number | undefined;
}

export async function decodeBody(
  body: Buffer,
  contentType: string,
  size: RawSize,
  maxPixels: number,
): Promise<RgbImage> {
  if (body.length === 0) throw new AgentError('LW_AGENT_API_BAD_IMAGE', 'empty body');
  if (contentType === RAW_RGB) return rawImage(body, size, maxPixels);
  try {
    return await decodeImage(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), { maxPixels });
  } catch (e) {
    if (isVisionError(e, VisionErrorCodes.TOO_LARGE)) throw new AgentError('LW_AGENT_API_TOO_LARGE', e.message);
    throw new AgentError('LW_AGENT_API_BAD_IMAGE', reasonOf(e));
  }
}

function rawImage(body: Buffer, size: RawSize, maxPixels: number): RgbImage {
  const { width, height } = size;
  if (width === undefined || height === undefined)
    throw new AgentError('LW_AGENT_API_BAD_REQUEST', 'raw RGB needs the width and height query parameters');
  if (width * height > maxPixels)
    throw new AgentError('LW_AGENT_API_TOO_LARGE', `${width}×${height} exceeds the ${maxPixels}-pixel limit`);
  const want = width * height * 3;
  if (body.length !== want)
    throw new AgentError(
      'LW_AGENT_API_BAD_IMAGE',
      `raw RGB ${width}×${height} is ${want} bytes, the body has ${body.length}`,
    );
  return { width, height, channels: 3, data: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
}

/** The model's map stretched over the image, so heatmap and mask line up with the picture pixel for pixel. */
export function mapOverImage(map: FloatMap, image: RgbImage): FloatMap {
  if (map.width === image.width && map.height === image.height) return map;
  return resizeMap(map, image.width, image.height, { alignCorners: true });
}

export interface MaskOut {
  readonly png: Buffer;
  /** Share of pixels above the threshold, 0–100. */
  readonly anomalousPercent: number;
}

export async function maskOf(map: FloatMap, threshold: number): Promise<MaskOut> {
  const data = new Uint8Array(map.data.length);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    if (map.data[i]! > threshold) {
      data[i] = 1;
      n++;
    }
  }
  const png = await encodeMaskPng({ width: map.width, height: map.height, data });
  return { png, anomalousPercent: data.length > 0 ? (100 * n) / data.length : 0 };
}

/** Colour heatmap over [0, max(map max, threshold)], as the flagged events' anomaly maps. */
export function heatmapOf(map: FloatMap, threshold: number): Promise<Buffer> {
  const max = map.data.reduce((m, v) => (v > m ? v : m), 0);
  return heatmapPng(map, { range: [0, Math.max(max, threshold, 1e-6)] });
}
