import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeImage, generateSurface } from '@linewatch/vision';
import type { FloatMap } from '@linewatch/vision';
import { encodeEvent, startEncoder } from '../src/encode/encoder.js';
import { encodeEventImages, mapRange } from '../src/encode/images.js';

const frame = generateSurface({ seed: 'enc', width: 160, height: 120, texture: 'grain', defect: 'random' }).image;
const map: FloatMap = {
  width: 32,
  height: 24,
  data: Float32Array.from({ length: 32 * 24 }, (_, i) => (i % 32) / 40),
};

test('the encode worker produces the same event pictures as encoding on this thread, and leaves the inputs alone', async () => {
  startEncoder();
  const before = frame.data.slice();
  const mapBefore = map.data.slice();
  const [viaWorker, here] = await Promise.all([encodeEvent(frame, map, 0.5), encodeEventImages(frame, map, 0.5)]);
  assert.deepEqual(viaWorker.jpeg, here.jpeg);
  assert.deepEqual(viaWorker.anomalyMap, here.anomalyMap);
  assert.deepEqual(frame.data, before, 'the camera keeps its frame');
  assert.deepEqual(map.data, mapBefore);
  const jpeg = await decodeImage(viaWorker.jpeg);
  assert.equal(jpeg.width, 160);
  assert.equal(jpeg.height, 120);
  const png = await decodeImage(viaWorker.anomalyMap);
  assert.equal(png.width, 32);
  assert.equal(png.height, 24);
});

test("a frame in a Buffer (a view into a larger one, as cameras hand over) stays the camera's", async () => {
  const backing = Buffer.alloc(frame.data.length + 64);
  const view = backing.subarray(32, 32 + frame.data.length);
  view.set(frame.data);
  const out = await encodeEvent({ ...frame, data: view }, map, 0.5);
  assert.equal(backing.length, frame.data.length + 64, 'the backing buffer is not detached');
  assert.deepEqual(new Uint8Array(view), new Uint8Array(frame.data));
  assert.deepEqual(out.jpeg, (await encodeEventImages(frame, map, 0.5)).jpeg);
});

test('many events in flight each get their own pictures back', async () => {
  const maps = Array.from({ length: 12 }, (_, k) => ({ ...map, data: map.data.map((v) => v * (k + 1)) }));
  const out = await Promise.all(maps.map((m) => encodeEvent(frame, m, 0.1)));
  const expected = await Promise.all(maps.map((m) => encodeEventImages(frame, m, 0.1)));
  for (let k = 0; k < maps.length; k++) assert.deepEqual(out[k]!.anomalyMap, expected[k]!.anomalyMap, `event ${k}`);
});

test('the map range is [0, max(map max, threshold)], so a faint map stays faint', () => {
  assert.deepEqual(mapRange(map, 0.1), [0, Math.fround(31 / 40)]);
  assert.deepEqual(mapRange(map, 2), [0, 2]);
  assert.deepEqual(mapRange({ width: 1, height: 1, data: new Float32Array(1) }, 0), [0, 1e-6]);
});

test('a frame that cannot be encoded is refused with a reason', async () => {
  const bad = { width: 10, height: 10, channels: 3 as const, data: new Uint8Array(7) };
  await assert.rejects(encodeEvent(bad, map, 0.5), /bytes|expected/);
});
