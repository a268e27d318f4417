import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RgbImage } from '../src/index.js';
import {
  DEFECT_KINDS,
  TEXTURE_KINDS,
  VisionErrorCodes,
  createRng,
  encodePng,
  generateSurface,
  maskBBox,
  pasteConfetti,
} from '../src/index.js';
import { throwsCode } from './helpers.js';

test('createRng is deterministic and in range', () => {
  const a = createRng(42);
  const b = createRng(42);
  const xs = Array.from({ length: 100 }, () => a.next());
  assert.deepEqual(
    xs,
    Array.from({ length: 100 }, () => b.next()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const r = createRng('line-3/cam-1');
  for (let i = 0; i < 100; i++) {
    const v = r.int(3, 7);
    assert.ok(Number.isInteger(v) && v >= 3 && v < 7);
  }
  assert.notDeepEqual(createRng(1).next(), createRng(2).next());
});

test('generateSurface is reproducible from the seed', async () => {
  const a = generateSurface({ seed: 7, width: 64, height: 48, texture: 'brushed', defect: 'random' });
  const b = generateSurface({ seed: 7, width: 64, height: 48, texture: 'brushed', defect: 'random' });
  assert.deepEqual(a.image.data, b.image.data);
  assert.deepEqual(a.mask.data, b.mask.data);
  assert.equal(a.defectKind, b.defectKind);
  assert.ok(DEFECT_KINDS.includes(a.defectKind as never));
  const c = generateSurface({ seed: 8, width: 64, height: 48, texture: 'brushed' });
  assert.notDeepEqual(a.image.data, c.image.data);
  assert.equal((await encodePng(a.image)).length > 100, true);
});

/** Exactness: the defect changes every mask pixel and nothing else (vs the same seed without a defect). */
function assertExact(clean: RgbImage, dirty: RgbImage, mask: Uint8Array, label: string): void {
  let inside = 0;
  for (let p = 0; p < mask.length; p++) {
    const changed =
      clean.data[p * 3] !== dirty.data[p * 3] ||
      clean.data[p * 3 + 1] !== dirty.data[p * 3 + 1] ||
      clean.data[p * 3 + 2] !== dirty.data[p * 3 + 2];
    assert.equal(changed, mask[p] === 1, `${label}: pixel ${p} changed=${changed} mask=${mask[p]}`);
    inside += mask[p]!;
  }
  assert.ok(inside > 0, `${label}: empty mask`);
}

test('every defect kind × texture has an exact pixel mask and a tight bbox', () => {
  for (const texture of TEXTURE_KINDS) {
    for (const defect of DEFECT_KINDS) {
      for (const grayscale of [false, true]) {
        for (const seed of [1, 2]) {
          const opts = { seed: `${texture}-${defect}-${seed}`, width: 72, height: 56, texture, grayscale };
          const clean = generateSurface(opts);
          const s = generateSurface({ ...opts, defect });
          const label = `${texture}/${defect}/${grayscale ? 'gray' : 'rgb'}/${seed}`;
          assert.equal(s.defectKind, defect);
          assertExact(clean.image, s.image, s.mask.data, label);
          assert.deepEqual(s.bbox, maskBBox(s.mask));
          if (grayscale) {
            for (let p = 0; p < 72 * 56; p++)
              assert.ok(
                s.image.data[p * 3] === s.image.data[p * 3 + 1] && s.image.data[p * 3] === s.image.data[p * 3 + 2],
              );
          }
          const area = s.mask.data.reduce((n, v) => n + v, 0);
          assert.ok(area < 72 * 56 * 0.5, `${label}: defect covers ${area} px`);
        }
      }
    }
  }
});

test('defect-free surfaces have an empty mask and no bbox; bad options are coded errors', () => {
  const s = generateSurface({ seed: 3, width: 32, height: 32 });
  assert.equal(s.defectKind, 'none');
  assert.equal(s.bbox, null);
  assert.ok(s.mask.data.every((v) => v === 0));
  throwsCode(() => generateSurface({ seed: 3, width: 8, height: 32 }), VisionErrorCodes.BAD_ARGUMENT);
  throwsCode(
    () => generateSurface({ seed: 3, width: 32, height: 32, defect: 'dent' as never }),
    VisionErrorCodes.BAD_ARGUMENT,
  );
  throwsCode(
    () => generateSurface({ seed: 3, width: 32, height: 32, texture: 'wood' as never }),
    VisionErrorCodes.BAD_ARGUMENT,
  );
});

test('confetti: seeded, exact mask, grayscale option', () => {
  const base = generateSurface({ seed: 11, width: 80, height: 60, texture: 'grain' }).image;
  const a = pasteConfetti(base, { seed: 5, count: 4 });
  const b = pasteConfetti(base, { seed: 5, count: 4 });
  assert.deepEqual(a.image.data, b.image.data);
  assertExact(base, a.image, a.mask.data, 'confetti');
  assert.notDeepEqual(pasteConfetti(base, { seed: 6, count: 4 }).mask.data, a.mask.data);
  const g = pasteConfetti(generateSurface({ seed: 11, width: 80, height: 60, grayscale: true }).image, {
    seed: 1,
    grayscale: true,
  });
  for (let p = 0; p < 80 * 60; p++) assert.equal(g.image.data[p * 3], g.image.data[p * 3 + 2]);
  throwsCode(() => pasteConfetti(base, { seed: 1, count: 0 }), VisionErrorCodes.BAD_ARGUMENT);
  throwsCode(() => pasteConfetti(base, { seed: 1, size: [0.5, 0.1] }), VisionErrorCodes.BAD_ARGUMENT);
});
