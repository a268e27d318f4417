import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import {
  VisionErrorCodes,
  decodeIndexedPng,
  decodeMask,
  encodeIndexedPng,
  encodeMaskPng,
  indexCounts,
  isIndexedPng,
  pngColourType,
} from '../src/index.js';
import { rejectsCode, throwsCode } from './helpers.js';

const PALETTE = [
  [0, 0, 0],
  [0, 200, 0],
  [30, 30, 255],
] as const;

function classMask(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = (x * 7 + y * 3) % 3;
  return data;
}

test('encodeIndexedPng → decodeIndexedPng keeps every index and the palette', () => {
  const data = classMask(13, 5);
  const png = encodeIndexedPng({ width: 13, height: 5, data, palette: PALETTE });
  assert.equal(pngColourType(png), 3);
  assert.ok(isIndexedPng(png));
  const back = decodeIndexedPng(png);
  assert.deepEqual([back.width, back.height], [13, 5]);
  assert.deepEqual(Array.from(back.data), Array.from(data));
  assert.deepEqual(back.palette, PALETTE);
  assert.deepEqual([...indexCounts(back)].sort(), [...indexCounts({ data })].sort());
});

test('decodeIndexedPng reads the row filters another encoder (libvips) chooses', async () => {
  // A smooth palette image makes libvips pick sub/up/average/paeth filters, not only filter 0.
  const w = 40;
  const h = 30;
  const rgb = Buffer.alloc(w * h * 3);
  // A ramp of more than 16 colours, so libvips writes 8-bit indices.
  for (let i = 0; i < w * h; i++) rgb.set([(i % w) * 6, Math.floor(i / w) * 8, 90], i * 3);
  const png = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
    .png({ palette: true, colours: 256, dither: 0 })
    .toBuffer();
  assert.ok(isIndexedPng(png), 'sharp wrote a palette PNG');
  const m = decodeIndexedPng(png);
  const expandedBySharp = await sharp(png).removeAlpha().raw().toBuffer();
  for (let i = 0; i < w * h; i++) {
    const p = m.palette[m.data[i]!]!;
    assert.deepEqual(p, [expandedBySharp[i * 3], expandedBySharp[i * 3 + 1], expandedBySharp[i * 3 + 2]], `pixel ${i}`);
  }
});

test('decodeMask: an indexed PNG is anomalous where index > 0, whatever the palette colour', async () => {
  // Class 1 is dark green (luma < 127): read by luma it would vanish; read by index it is a defect.
  const data = new Uint8Array([0, 1, 2, 0, 0, 1]);
  const mask = await decodeMask(encodeIndexedPng({ width: 3, height: 2, data, palette: PALETTE }));
  assert.deepEqual(Array.from(mask.data), [0, 1, 1, 0, 0, 1]);
  // A grey binary mask keeps its > 127 rule.
  const grey = await encodeMaskPng({ width: 3, height: 2, data: new Uint8Array([1, 0, 0, 0, 1, 1]) });
  assert.equal(isIndexedPng(grey), false);
  assert.deepEqual(Array.from((await decodeMask(grey)).data), [1, 0, 0, 0, 1, 1]);
});

test('decodeIndexedPng refuses oversized, truncated and non-indexed input with coded errors', async () => {
  const png = encodeIndexedPng({ width: 100, height: 100, data: new Uint8Array(10_000), palette: PALETTE });
  throwsCode(() => decodeIndexedPng(png, { maxPixels: 9_999 }), VisionErrorCodes.TOO_LARGE);
  throwsCode(() => decodeIndexedPng(png.subarray(0, png.length - 20)), VisionErrorCodes.UNREADABLE);
  const grey = await encodeMaskPng({ width: 2, height: 2, data: new Uint8Array(4) });
  throwsCode(() => decodeIndexedPng(grey), VisionErrorCodes.UNREADABLE);
  // A bomb: a small header over a huge inflated stream is cut at the size the header needs.
  const bomb = Buffer.from(png);
  const idatAt = bomb.indexOf('IDAT', 0, 'latin1');
  const zeros = deflateSync(Buffer.alloc(50_000_000));
  const forged = Buffer.concat([
    bomb.subarray(0, idatAt - 4),
    chunkOf('IDAT', zeros),
    chunkOf('IEND', Buffer.alloc(0)),
  ]);
  throwsCode(() => decodeIndexedPng(forged), VisionErrorCodes.UNREADABLE);
  await rejectsCode(decodeMask(forged), VisionErrorCodes.UNREADABLE);
});

function chunkOf(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, data, Buffer.alloc(4)]); // CRC is not checked by the reader
}

test('decodeIndexedPng reverses all five row filters (each row filtered with type y mod 5, per the PNG spec)', () => {
  const w = 9;
  const h = 10;
  const data = Uint8Array.from({ length: w * h }, (_, i) => (i * 37 + ((i / w) | 0) * 11) & 0xff);
  const at = (x: number, y: number) => (x < 0 || y < 0 ? 0 : data[y * w + x]!);
  const paeth = (a: number, b: number, c: number) => {
    const p = a + b - c;
    const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  };
  const raw = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) {
    const type = y % 5;
    raw[y * (w + 1)] = type;
    for (let x = 0; x < w; x++) {
      const [a, b, c] = [at(x - 1, y), at(x, y - 1), at(x - 1, y - 1)];
      const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][type]!;
      raw[y * (w + 1) + 1 + x] = (at(x, y) - pred) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 3;
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunkOf('IHDR', ihdr),
    chunkOf('PLTE', Buffer.alloc(256 * 3)),
    chunkOf('IDAT', deflateSync(raw)),
    chunkOf('IEND', Buffer.alloc(0)),
  ]);
  assert.deepEqual(Array.from(decodeIndexedPng(png).data), Array.from(data));
});
