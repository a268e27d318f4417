import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import {
  VisionErrorCodes,
  decodeGray,
  decodeImage,
  detectFormat,
  encodeJpeg,
  encodePng,
  readImageInfo,
} from '../src/index.js';
import { dataRoot, magneticTile, gradient, rejectsCode } from './helpers.js';

const tile = (): string => join(dataRoot(), 'train/good/exp1_num_10334.jpg');

test('detectFormat reads magic bytes', { skip: magneticTile.skip }, async () => {
  assert.equal(detectFormat(await readFile(tile())), 'jpeg');
  assert.equal(detectFormat(await encodePng(gradient(4, 4))), 'png');
  assert.equal(detectFormat(Buffer.from('GIF89a....')), undefined);
  assert.equal(detectFormat(new Uint8Array(0)), undefined);
});

test('decodes a real grayscale JPEG tile to 3 equal channels', { skip: magneticTile.skip }, async () => {
  const bytes = await readFile(tile());
  const info = await readImageInfo(bytes);
  const img = await decodeImage(bytes);
  assert.equal(img.channels, 3);
  assert.equal(img.width, info.width);
  assert.equal(img.height, info.height);
  assert.equal(img.data.length, img.width * img.height * 3);
  for (let p = 0; p < img.width * img.height; p += 97) {
    assert.equal(img.data[p * 3], img.data[p * 3 + 1]);
    assert.equal(img.data[p * 3], img.data[p * 3 + 2]);
  }
});

test('PNG round trip is lossless; gray and RGBA PNGs become RGB', async () => {
  const img = gradient(13, 7);
  const back = await decodeImage(await encodePng(img));
  assert.deepEqual(Array.from(back.data), Array.from(img.data));

  const grayPng = await sharp(Buffer.from([0, 50, 100, 150, 200, 250]), { raw: { width: 3, height: 2, channels: 1 } })
    .png()
    .toBuffer();
  const g = await decodeImage(grayPng);
  assert.deepEqual(Array.from(g.data.subarray(0, 6)), [0, 0, 0, 50, 50, 50]);
  const g1 = await decodeGray(grayPng);
  assert.deepEqual(Array.from(g1.data), [0, 50, 100, 150, 200, 250]);

  const rgba = await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]), { raw: { width: 2, height: 1, channels: 4 } })
    .png()
    .toBuffer();
  assert.deepEqual(Array.from((await decodeImage(rgba)).data), [10, 20, 30, 40, 50, 60]);
});

test('JPEG encode: quality bounds and decodability', async () => {
  const img = gradient(32, 16);
  const jpg = await encodeJpeg(img, { quality: 90 });
  assert.equal(detectFormat(jpg), 'jpeg');
  const back = await decodeImage(jpg);
  assert.equal(back.width, 32);
  await rejectsCode(encodeJpeg(img, { quality: 0 }), VisionErrorCodes.BAD_ARGUMENT);
  await rejectsCode(encodePng({ ...img, width: 31 }), VisionErrorCodes.BAD_ARGUMENT);
});

test('pixel limit is enforced from the header, before decoding', { skip: magneticTile.skip }, async () => {
  const bytes = await readFile(tile());
  await assert.rejects(decodeImage(bytes, { maxPixels: 1000 }), (e: unknown) => {
    const err = e as { code: string; details: { maxPixels: number; width: number } };
    return err.code === VisionErrorCodes.TOO_LARGE && err.details.maxPixels === 1000 && err.details.width > 0;
  });
});

test('unsupported and unreadable inputs get coded errors', async () => {
  await rejectsCode(decodeImage(Buffer.from('definitely not an image')), VisionErrorCodes.UNSUPPORTED_FORMAT);
  await rejectsCode(decodeImage(new Uint8Array(0)), VisionErrorCodes.UNSUPPORTED_FORMAT);
  const png = await encodePng(gradient(64, 64));
  await rejectsCode(decodeImage(png.subarray(0, 12)), VisionErrorCodes.UNREADABLE);
  // A generated JPEG, so this runs in clones without ../shared too.
  const jpg = await encodeJpeg(gradient(64, 64));
  await rejectsCode(decodeImage(jpg.subarray(0, Math.floor(jpg.length / 2))), VisionErrorCodes.UNREADABLE);
});

test('single-channel images encode as grayscale PNG (colour type 0) and JPEG (1 component)', async () => {
  const gray = { width: 4, height: 3, channels: 1 as const, data: new Uint8Array(12).map((_, i) => i * 20) };
  const png = await encodePng(gray);
  assert.equal(png[25], 0, 'IHDR colour type');
  assert.equal((await sharp(png).metadata()).channels, 1);
  assert.deepEqual(Array.from((await decodeGray(png)).data), Array.from(gray.data));
  assert.equal((await sharp(await encodeJpeg(gray)).metadata()).channels, 1);
  assert.equal((await sharp(await encodePng(gradient(4, 3))).metadata()).channels, 3);
});

/** CRC-32 (PNG chunk checksum); local because zlib.crc32 needs Node ≥ 20.15. */
function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

test('16-bit grayscale PNG (common for masks) is reduced to 8 bits', async () => {
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr[8] = 16; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc(2 * 5); // per row: filter byte + 2 × u16
  [0, 65535, 32768, 1000].forEach((v, i) => raw.writeUInt16BE(v, Math.floor(i / 2) * 5 + 1 + (i % 2) * 2));
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  const g = await decodeGray(png);
  assert.deepEqual(Array.from(g.data.subarray(0, 3)), [0, 255, 128]);
  assert.ok(Math.abs(g.data[3]! - 1000 / 257) <= 1);
  const rgb = await decodeImage(png);
  assert.deepEqual(Array.from(rgb.data.subarray(0, 9)), [0, 0, 0, 255, 255, 255, 128, 128, 128]);
});
