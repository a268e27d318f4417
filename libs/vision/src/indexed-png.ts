/**
 * Indexed-colour (palette, PNG colour type 3) masks: the palette index of a pixel is its class (0 = background).
 * sharp expands palettes to RGB, which loses the index, so this file reads and writes the few chunks itself
 * (IHDR, PLTE, IDAT, IEND; 8-bit depth only, no interlace — what the QA painter and encodeIndexedPng write).
 * Untrusted input: the declared size is checked against the pixel limit before anything is inflated, and the
 * inflated length is bounded by what that size needs.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { DEFAULT_MAX_PIXELS, detectFormat } from './decode.js';
import { VisionError, VisionErrorCodes, badArgument } from './errors.js';

export interface IndexedMask {
  readonly width: number;
  readonly height: number;
  /** One palette index per pixel, row-major. */
  readonly data: Uint8Array;
  /** The palette as [r, g, b] per index (as many entries as the PLTE chunk has). */
  readonly palette: ReadonlyArray<readonly [number, number, number]>;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PALETTE_COLOUR_TYPE = 3;

const unreadable = (message: string) => new VisionError(VisionErrorCodes.UNREADABLE, `indexed png: ${message}`);

/** PNG colour type from the IHDR (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA), or undefined for a non-PNG. */
export function pngColourType(bytes: Uint8Array): number | undefined {
  if (detectFormat(bytes) !== 'png' || bytes.length < 26) return undefined;
  // IHDR is the first chunk: length (4) type (4) width (4) height (4) depth (1) colour type (1).
  return bytes[25];
}

/** An indexed-colour PNG this file reads (8-bit depth, not interlaced); other palette PNGs go through sharp. */
export const isIndexedPng = (bytes: Uint8Array): boolean =>
  pngColourType(bytes) === PALETTE_COLOUR_TYPE && bytes[24] === 8 && bytes[28] === 0;

interface Chunk {
  type: string;
  data: Buffer;
}

function* chunks(buf: Buffer): Generator<Chunk> {
  let at = SIGNATURE.length;
  while (at + 8 <= buf.length) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (at + 12 + length > buf.length) throw unreadable(`chunk ${type} runs past the end`);
    yield { type, data: buf.subarray(at + 8, at + 8 + length) };
    if (type === 'IEND') return;
    at += 12 + length;
  }
  throw unreadable('no IEND chunk');
}

/** Decodes an indexed-colour PNG (8-bit, not interlaced) to its palette indices. */
export function decodeIndexedPng(bytes: Uint8Array, opts: { maxPixels?: number } = {}): IndexedMask {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (detectFormat(bytes) !== 'png') throw unreadable('not a PNG');
  let header: { width: number; height: number } | undefined;
  const palette: Array<[number, number, number]> = [];
  const idat: Buffer[] = [];
  for (const c of chunks(buf)) {
    if (c.type === 'IHDR') header = readHeader(c.data, opts.maxPixels ?? DEFAULT_MAX_PIXELS);
    else if (c.type === 'PLTE')
      for (let i = 0; i + 2 < c.data.length; i += 3) palette.push([c.data[i]!, c.data[i + 1]!, c.data[i + 2]!]);
    else if (c.type === 'IDAT') idat.push(c.data);
  }
  if (!header) throw unreadable('no IHDR chunk');
  const { width, height } = header;
  const stride = width + 1;
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: stride * height });
  } catch (e) {
    throw new VisionError(VisionErrorCodes.UNREADABLE, 'indexed png: image data does not inflate', {}, { cause: e });
  }
  if (raw.length !== stride * height)
    throw unreadable(`image data has ${raw.length} bytes, expected ${stride * height}`);
  return { width, height, data: unfilter(raw, width, height), palette };
}

function readHeader(d: Buffer, maxPixels: number): { width: number; height: number } {
  const width = d.readUInt32BE(0);
  const height = d.readUInt32BE(4);
  if (width === 0 || height === 0) throw unreadable('zero size');
  if (width * height > maxPixels)
    throw new VisionError(VisionErrorCodes.TOO_LARGE, `${width}×${height} exceeds the ${maxPixels}-pixel limit`, {
      width,
      height,
      maxPixels,
    });
  if (d[9] !== PALETTE_COLOUR_TYPE) throw unreadable(`colour type ${d[9]} is not indexed (3)`);
  if (d[8] !== 8) throw unreadable(`bit depth ${d[8]} (only 8 is read)`);
  if (d[12] !== 0) throw unreadable('interlaced images are not read');
  return { width, height };
}

/** Reverses the per-row filters (1 byte per pixel, so the "left" neighbour is the previous byte). */
function unfilter(raw: Buffer, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)];
    const row = y * width;
    const src = y * (width + 1) + 1;
    for (let x = 0; x < width; x++) {
      const a = x > 0 ? out[row + x - 1]! : 0;
      const b = y > 0 ? out[row - width + x]! : 0;
      const c = x > 0 && y > 0 ? out[row - width + x - 1]! : 0;
      out[row + x] = (raw[src + x]! + predict(filter, a, b, c)) & 0xff;
    }
  }
  return out;
}

function predict(filter: number | undefined, a: number, b: number, c: number): number {
  switch (filter) {
    case 0:
      return 0;
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >> 1;
    case 4: {
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    default:
      throw unreadable(`unknown row filter ${filter}`);
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes palette indices as an 8-bit indexed-colour PNG (filter 0 on every row). */
export function encodeIndexedPng(mask: IndexedMask): Buffer {
  const { width, height, data, palette } = mask;
  if (data.length !== width * height)
    throw badArgument(`mask data has ${data.length} bytes, expected ${width * height}`);
  if (palette.length === 0 || palette.length > 256) throw badArgument(`palette has ${palette.length} entries (1–256)`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = PALETTE_COLOUR_TYPE;
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('PLTE', Buffer.from(palette.flatMap((p) => [...p]))),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Pixels per palette index (index → count), zero counts left out. */
export function indexCounts(mask: Pick<IndexedMask, 'data'>): Map<number, number> {
  const counts = new Uint32Array(256);
  for (const v of mask.data) counts[v]!++;
  const out = new Map<number, number>();
  counts.forEach((n, i) => n > 0 && out.set(i, n));
  return out;
}
