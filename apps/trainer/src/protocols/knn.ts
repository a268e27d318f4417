/**
 * The kNN baseline both benches report (bench:accuracy on MVTec-layout data, the one-class protocol): a
 * PatchCore-style memory bank of the normal training images' grid features from the same frozen backbone and taps
 * the ADTR model uses (`KnnScorer`, libs/adtr), each test token scored by its distance to the nearest bank token;
 * the token map is resized to the model's input (align-corners) and the image score is the map's max after the
 * preset's average pooling — the rule the ADTR packages score with, so the two are compared on equal terms.
 */
import { KnnScorer, type ModelConfig } from '@linewatch/adtr';
import { avgPool, resizeMap, type FloatMap } from '@linewatch/vision';
import type { Progress } from '../progress.js';
import type { TrainingBackbone } from '../train/backbone.js';
import { FeatureExtractor } from '../train/features.js';

export interface KnnOptions {
  readonly backbone: TrainingBackbone;
  readonly model: ModelConfig;
  /** Feature cache folder (shared with training: the same images hit it). */
  readonly cacheDir: string;
  readonly threads?: number;
  readonly progress?: Progress;
}

export interface KnnResult {
  /** Each test image's anomaly map at the model's input resolution. */
  readonly inputMaps: readonly FloatMap[];
  /** Each test image's score: max of the input-resolution map after `scorePool` average pooling. */
  readonly scores: readonly number[];
  /** Each test image's original size (for maps stretched to it). */
  readonly sizes: readonly { readonly width: number; readonly height: number }[];
}

async function features(extractor: FeatureExtractor, paths: readonly string[], progress: Progress | undefined) {
  const out = [];
  for (const p of paths) {
    out.push(await extractor.fromFile(p));
    progress?.tick(1);
  }
  return out;
}

/** Scores `testPaths` against a bank made of `bankPaths` (normal images). */
export async function knnScores(
  bankPaths: readonly string[],
  testPaths: readonly string[],
  opts: KnnOptions,
): Promise<KnnResult> {
  const { model } = opts;
  const extractor = await FeatureExtractor.create(opts.backbone, model, {
    cacheDir: opts.cacheDir,
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
  });
  opts.progress?.start(bankPaths.length + testPaths.length, 'kNN features');
  let bank, tests;
  try {
    bank = (await features(extractor, bankPaths, opts.progress)).map((f) => f.features);
    tests = await features(extractor, testPaths, opts.progress);
  } finally {
    opts.progress?.done();
    await extractor.release();
  }
  const channels = bank[0]!.length / (model.grid[0] * model.grid[1]);
  const knn = await KnnScorer.create(bank, channels);
  let maps: Float32Array[];
  try {
    maps = await knn.score(tests.map((f) => f.features));
  } finally {
    await knn.release();
  }
  const [h, w] = model.inputSize;
  const inputMaps = maps.map((data) =>
    resizeMap({ width: model.grid[1], height: model.grid[0], data }, w, h, { alignCorners: true }),
  );
  return {
    inputMaps,
    scores: inputMaps.map((m) => Math.max(...avgPool(m, model.scorePool).data)),
    sizes: tests.map((f) => ({ width: f.width, height: f.height })),
  };
}
