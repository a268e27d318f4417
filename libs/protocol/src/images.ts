/**
 * Cheap signature checks for image parts. Not a decoder: they catch swapped parts, truncated-at-source files and
 * non-image garbage at the edge, so the controller never stores (and QA never opens) something that is not an image.
 */
import { fail } from './errors.js';
import type { ImageMedia } from './messages/common.js';

export const JPEG_SOI: readonly number[] = [0xff, 0xd8, 0xff];
export const PNG_SIGNATURE: readonly number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IHDR = [0x49, 0x48, 0x44, 0x52];
/** Signature + IHDR chunk (length, type, 13 data bytes, CRC). */
export const PNG_MIN_BYTES = 33;

const startsWith = (b: Uint8Array, prefix: readonly number[], at = 0): boolean =>
  b.length >= at + prefix.length && prefix.every((v, i) => b[at + i] === v);

export function checkImage(media: ImageMedia, bytes: Uint8Array, field: string): void {
  if (media === 'image/jpeg') {
    if (!startsWith(bytes, JPEG_SOI))
      fail('LW_PROTO_IMAGE_INVALID', `${field} is not a JPEG (no SOI marker)`, { field, media });
    return;
  }
  if (!startsWith(bytes, PNG_SIGNATURE))
    fail('LW_PROTO_IMAGE_INVALID', `${field} is not a PNG (bad signature)`, { field, media });
  if (bytes.length < PNG_MIN_BYTES || !startsWith(bytes, IHDR, 12)) {
    fail('LW_PROTO_IMAGE_INVALID', `${field} has no IHDR chunk`, { field, media });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitDepth = bytes[24];
  const colourType = bytes[25];
  if (width === 0 || height === 0) fail('LW_PROTO_IMAGE_INVALID', `${field} has zero size`, { field, width, height });
  // The anomaly map is a single-channel 8-bit heat map; anything else means the producer encoded the wrong image.
  if (bitDepth !== 8 || colourType !== 0) {
    fail(
      'LW_PROTO_IMAGE_INVALID',
      `${field} must be 8-bit greyscale (got depth ${bitDepth}, colour type ${colourType})`,
      {
        field,
        bitDepth,
        colourType,
      },
    );
  }
}

/** Minimal valid-looking headers, for tests and for agents' own self-checks. */
export function pngHeader(width: number, height: number): Uint8Array {
  const out = new Uint8Array(PNG_MIN_BYTES);
  out.set(PNG_SIGNATURE, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, 13);
  out.set(IHDR, 12);
  view.setUint32(16, width);
  view.setUint32(20, height);
  out[24] = 8;
  out[25] = 0;
  return out;
}
