import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IMAGENET_SETTINGS } from '@linewatch/vision';
import type { Features } from '../src/index.js';
import {
  DatasetErrorCodes,
  FeatureCache,
  canonicalJson,
  decodeEntry,
  encodeEntry,
  isDatasetError,
} from '../src/index.js';
import { withTempDir } from './helpers.js';

const feats = (seed: number): Features => ({
  shape: [2, 3, 4],
  data: Float32Array.from({ length: 24 }, (_, i) => Math.sin(seed * 100 + i)),
});

async function allFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

test('canonicalJson ignores key order', () => {
  assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] }), canonicalJson({ a: [1, { c: 3, d: 2 }], b: 1 }));
  assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: 2 }));
});

test('entry encode/decode round trip; any damage is detected', () => {
  const f = feats(1);
  const buf = encodeEntry(f);
  const back = decodeEntry(buf)!;
  assert.deepEqual(back.shape, [2, 3, 4]);
  assert.deepEqual(back.data, f.data);
  const flipped = Buffer.from(buf);
  flipped[30]! ^= 0x01;
  assert.equal(decodeEntry(flipped), undefined);
  assert.equal(decodeEntry(buf.subarray(0, buf.length - 1)), undefined);
  assert.equal(decodeEntry(Buffer.alloc(10)), undefined);
  assert.throws(
    () => encodeEntry({ shape: [5], data: new Float32Array(4) }),
    (e: unknown) => isDatasetError(e, DatasetErrorCodes.BAD_ARGUMENT),
  );
});

test('miss → compute → hit; key depends on bytes, settings and backbone', async () => {
  await withTempDir(async (dir) => {
    const cache = new FeatureCache({ dir, backboneId: 'wrn50@l2+l3', settings: IMAGENET_SETTINGS });
    const img = new Uint8Array([1, 2, 3, 4]);
    let computed = 0;
    const compute = () => {
      computed++;
      return feats(7);
    };
    const a = await cache.getOrCompute(img, compute);
    const b = await cache.getOrCompute(img, compute);
    assert.equal(a.hit, false);
    assert.equal(b.hit, true);
    assert.equal(computed, 1);
    assert.deepEqual(b.features.data, feats(7).data);
    assert.deepEqual(cache.stats, { hits: 1, misses: 1, corrupt: 0 });
    const other = new FeatureCache({
      dir,
      backboneId: 'wrn50@l2+l3',
      settings: { ...IMAGENET_SETTINGS, inputWidth: 320 },
    });
    const otherBackbone = new FeatureCache({ dir, backboneId: 'resnet18', settings: IMAGENET_SETTINGS });
    const reordered = new FeatureCache({
      dir,
      backboneId: 'wrn50@l2+l3',
      settings: { ...IMAGENET_SETTINGS, layout: 'nchw', scale: 1 / 255 },
    });
    assert.notEqual(other.keyFor(img), cache.keyFor(img));
    assert.notEqual(otherBackbone.keyFor(img), cache.keyFor(img));
    assert.notEqual(cache.keyFor(new Uint8Array([1, 2, 3, 5])), cache.keyFor(img));
    assert.equal(reordered.keyFor(img), cache.keyFor(img));
    const files = await allFiles(dir);
    assert.equal(files.length, 1);
    assert.ok(files[0]!.endsWith('.lwf'), 'no temp files left');
  });
});

test('a corrupt or truncated entry is detected, deleted and recomputed', async () => {
  await withTempDir(async (dir) => {
    const cache = new FeatureCache({ dir, backboneId: 'b', settings: { s: 1 } });
    const img = new Uint8Array([9, 9, 9]);
    await cache.getOrCompute(img, () => feats(1));
    const path = cache.pathFor(cache.keyFor(img));
    const buf = await readFile(path);
    buf[20]! ^= 0xff;
    await writeFile(path, buf);
    let computed = 0;
    const r = await cache.getOrCompute(img, () => {
      computed++;
      return feats(1);
    });
    assert.equal(r.hit, false);
    assert.equal(computed, 1);
    assert.equal(cache.stats.corrupt, 1);
    assert.deepEqual((await cache.get(cache.keyFor(img)))!.data, feats(1).data, 'healed');
    await writeFile(path, (await readFile(path)).subarray(0, 40));
    assert.equal(await cache.get(cache.keyFor(img)), undefined);
    assert.equal(cache.stats.corrupt, 2);
    assert.deepEqual(await allFiles(dir), [], 'corrupt entry removed');
  });
});

test('bad arguments are coded errors', () => {
  assert.throws(
    () => new FeatureCache({ dir: '/tmp/x', backboneId: '', settings: {} }),
    (e: unknown) => isDatasetError(e, DatasetErrorCodes.BAD_ARGUMENT),
  );
  const c = new FeatureCache({ dir: '/tmp/x', backboneId: 'b', settings: {} });
  assert.throws(
    () => c.pathFor('../../etc/passwd'),
    (e: unknown) => isDatasetError(e, DatasetErrorCodes.BAD_ARGUMENT),
  );
});
