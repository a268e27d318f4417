import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, encodePng, generateSurface, type RgbImage } from '@linewatch/vision';
import { silentProgress } from '../progress.js';
import { TrainerError } from '../errors.js';
import { confettiSamples } from './confetti.js';

/** Records the images it is asked for; the "features" are just a fingerprint of the call. */
function recordingExtractor() {
  const seen: RgbImage[] = [];
  return {
    seen,
    fromImage: async (img: RgbImage) => {
      seen.push(img);
      return Float32Array.of(seen.length);
    },
  };
}

async function writeNormals(
  dir: string,
  n: number,
): Promise<{ path: string; maskPath: null; label: 0; defectType: string }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const path = join(dir, `n${i}.png`);
    writeFileSync(
      path,
      await encodePng(
        generateSurface({ seed: 40 + i, width: 96, height: 48, texture: 'brushed', defect: 'none', grayscale: true })
          .image,
      ),
    );
    out.push({ path, maskPath: null, label: 0 as const, defectType: 'good' });
  }
  return out;
}

test('confetti samples: exact token labels where pixels changed, grayscale kept, seeded, sources spread over the normals', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-confetti-'));
  try {
    const normals = await writeNormals(dir, 4);
    const model = {
      grid: [4, 6] as [number, number],
      inputSize: [32, 48] as [number, number],
      fit: 'stretch' as const,
    };
    const ex = recordingExtractor();
    const samples = await confettiSamples(ex, normals, 6, model, silentProgress, true);
    assert.equal(samples.length, 6);
    // Sources: normals[floor(i·4/6)] = 0, 0, 1, 2, 2, 3.
    const originals = await Promise.all(normals.map((n) => decodeImage(new Uint8Array(readFileSync(n.path)))));
    const sourceOf = [0, 0, 1, 2, 2, 3];
    for (const [i, s] of samples.entries()) {
      assert.equal(s.label, 1);
      const img = ex.seen[i]!;
      const orig = originals[sourceOf[i]!]!;
      const [rows, cols] = model.grid;
      const changed = new Uint8Array(rows * cols);
      for (let p = 0; p < img.width * img.height; p++) {
        const d = img.data;
        assert.ok(d[3 * p] === d[3 * p + 1] && d[3 * p] === d[3 * p + 2], 'a grayscale tile gets grayscale confetti');
        if (d[3 * p] !== orig.data[3 * p]) {
          const x = p % img.width;
          const y = Math.floor(p / img.width);
          changed[Math.floor((y * rows) / img.height) * cols + Math.floor((x * cols) / img.width)] = 1;
        }
      }
      // Stretch fit: a token is labelled anomalous exactly when one of its pixels was pasted over.
      assert.deepEqual(Array.from(s.tokenMask!), Array.from(changed), `sample ${i}`);
      assert.ok(changed.some((v) => v === 1));
    }
    // Same inputs, same anomalies; samples 0 and 1 share a source but not a seed.
    const again = recordingExtractor();
    await confettiSamples(again, normals, 6, model, silentProgress, true);
    assert.deepEqual(
      again.seen.map((im) => im.data),
      ex.seen.map((im) => im.data),
    );
    assert.notDeepEqual(ex.seen[0]!.data, ex.seen[1]!.data);

    const labelsOnly = await confettiSamples(recordingExtractor(), normals, 2, model, silentProgress, false);
    assert.ok(labelsOnly.every((s) => s.label === 1 && s.tokenMask === undefined));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('confetti samples: no normals or an unreadable one is a coded error', async () => {
  const model = { grid: [4, 4] as [number, number], inputSize: [32, 32] as [number, number] };
  await assert.rejects(
    confettiSamples(recordingExtractor(), [], 3, model, silentProgress, true),
    (e: unknown) => e instanceof TrainerError && e.code === 'LW_TRAINER_BAD_VALUE',
  );
  const missing = [
    { path: join(tmpdir(), 'lw-no-such-image.png'), maskPath: null, label: 0 as const, defectType: 'good' },
  ];
  await assert.rejects(
    confettiSamples(recordingExtractor(), missing, 1, model, silentProgress, true),
    (e: unknown) => e instanceof TrainerError && e.code === 'LW_TRAINER_IO',
  );
});
