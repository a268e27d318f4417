/**
 * The feature cache key covers the code that computes features, not only its settings: the digest of the exported
 * feature graph is stable (so caches hit) and changes with anything the graph computes (so stale features miss).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS } from '@linewatch/adtr';
import type { BackbonePlan } from '@linewatch/backbones';
import { encodePng, generateSurface } from '@linewatch/vision';
import { resolveBackbone, type ResolvedBackbone } from './backbone.js';
import { FeatureExtractor } from './features.js';

/** The same backbone with one weight of its first conv nudged, as a change to the import code (e.g. BN folding) would. */
function withNudgedWeight(b: ResolvedBackbone): ResolvedBackbone {
  const ops = b.plan.ops.map((op) => op);
  const i = ops.findIndex((op) => op.kind === 'conv');
  const conv = ops[i];
  assert.ok(conv && conv.kind === 'conv');
  const weight = Float32Array.from(conv.weight);
  weight[0] = weight[0]! + 1e-3;
  ops[i] = { ...conv, weight };
  const plan: BackbonePlan = { ...b.plan, ops };
  return { ...b, plan };
}

test(
  'the feature cache keys on the feature graph: same graph hits, a changed graph misses',
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-features-'));
    try {
      const model = PRESETS.tiny.model;
      const image = join(dir, 'frame.png');
      writeFileSync(
        image,
        await encodePng(generateSurface({ seed: 7, width: 80, height: 64, texture: 'brushed', defect: 'none' }).image),
      );
      const cacheDir = join(dir, 'cache');
      const backbone = resolveBackbone('nsfwjs', model);
      const run = async (b: ResolvedBackbone) => {
        const ex = await FeatureExtractor.create(b, model, { cacheDir });
        try {
          const { features } = await ex.fromFile(image);
          return { digest: ex.graphDigest, stats: ex.cacheStats, features };
        } finally {
          await ex.release();
        }
      };
      const first = await run(backbone);
      assert.match(first.digest, /^[0-9a-f]{64}$/);
      assert.deepEqual(first.stats, { hits: 0, misses: 1 });
      const again = await run(resolveBackbone('nsfwjs', model)); // resolved afresh: the digest must not depend on the instance
      assert.equal(again.digest, first.digest);
      assert.deepEqual(again.stats, { hits: 1, misses: 0 });
      assert.deepEqual(again.features, first.features);

      const nudged = await run(withNudgedWeight(backbone));
      assert.notEqual(nudged.digest, first.digest);
      assert.deepEqual(nudged.stats, { hits: 0, misses: 1 });
      assert.notDeepEqual(nudged.features, first.features);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
