/**
 * `npm run bench:backbone-knn -- [--backbone nsfwjs|nsfwjs:inception_v3|<tfjs dir>] [--taps a,b] [--size 96]
 *   [--train-per-class 1000] [--test-per-class 200] [--k 1] [--data /usr/share/datasets/fashion-mnist] [--json f]`
 *
 * How much object semantics a frozen backbone carries, without ADTR: one-class Fashion-MNIST (each class in turn is
 * normal, all test images of the other nine are anomalies), image score = mean cosine distance of a test image's
 * global-average-pooled tap features to its k nearest training images of the normal class. Per tap and for all taps
 * concatenated (each tap L2-normalised first). Features are cached under dist/bench-backbone-knn, keyed by backbone,
 * taps, size and counts, so re-scoring with another k costs nothing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { applyBackbone, buildBackbonePlan, decodeWeights, parseKerasTopology } from '@linewatch/backbones';
import { exportModel, Graph, matmul, reduceMean } from '@linewatch/graph';
import { float32, InferenceSession } from '@linewatch/inference';
import { auroc } from '@linewatch/metrics';
import { backboneFiles } from '../src/train/backbone.js';

const repo = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const { values: args } = parseArgs({
  options: {
    backbone: { type: 'string', default: 'nsfwjs' },
    taps: { type: 'string', default: 'block_5_add,block_9_add,block_12_add,block_16_project_BN' },
    size: { type: 'string', default: '96' },
    'train-per-class': { type: 'string', default: '1000' },
    'test-per-class': { type: 'string', default: '200' },
    k: { type: 'string', default: '1' },
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    json: { type: 'string' },
  },
});
const taps = args.taps!.split(',').filter(Boolean);
const size = Number(args.size);
const trainPer = Number(args['train-per-class']);
const testPer = Number(args['test-per-class']);
const k = Number(args.k);
const BATCH = 50;

interface Split {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly side: number;
}

function readIdxSplit(dir: string, prefix: string): Split {
  const img = gunzipSync(readFileSync(join(dir, `${prefix}-images-idx3-ubyte.gz`)));
  const lab = gunzipSync(readFileSync(join(dir, `${prefix}-labels-idx1-ubyte.gz`)));
  const side = img.readUInt32BE(8);
  return { images: img.subarray(16), labels: lab.subarray(8), side };
}

/** The first `perClass` indices of each class, class-major. */
function pick(split: Split, perClass: number): number[][] {
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  split.labels.forEach((l, i) => {
    const list = byClass[l]!;
    if (list.length < perClass) list.push(i);
  });
  return byClass;
}

/** Gray side×side → [3, size, size] (bilinear, half-pixel), normalised as the backbone expects. */
function toInput(split: Split, index: number, norm: { scale: number; mean: number; std: number }, out: Float32Array) {
  const s = split.side;
  const src = split.images.subarray(index * s * s, (index + 1) * s * s);
  const plane = size * size;
  for (let y = 0; y < size; y++) {
    const fy = Math.min(Math.max(((y + 0.5) * s) / size - 0.5, 0), s - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, s - 1);
    const wy = fy - y0;
    for (let x = 0; x < size; x++) {
      const fx = Math.min(Math.max(((x + 0.5) * s) / size - 0.5, 0), s - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, s - 1);
      const wx = fx - x0;
      const top = src[y0 * s + x0]! * (1 - wx) + src[y0 * s + x1]! * wx;
      const bottom = src[y1 * s + x0]! * (1 - wx) + src[y1 * s + x1]! * wx;
      const v = ((top * (1 - wy) + bottom * wy) * norm.scale - norm.mean) / norm.std;
      out[y * size + x] = v;
      out[plane + y * size + x] = v;
      out[2 * plane + y * size + x] = v;
    }
  }
}

async function extract(split: Split, indices: number[]): Promise<Float32Array[]> {
  const { files, normalization } = backboneFiles(args.backbone!);
  const plan = buildBackbonePlan(
    parseKerasTopology(files.modelTopology),
    decodeWeights(files.weightsManifest, files.shards),
    taps,
    [size, size],
  );
  const g = new Graph();
  const image = g.input('image', [BATCH, 3, size, size]);
  const outputs: Record<string, ReturnType<typeof reduceMean>> = {};
  applyBackbone(g, image, plan).forEach((t, i) => (outputs[`tap${i}`] = reduceMean(t, [2, 3])));
  const session = await InferenceSession.open(exportModel({ graph: g, outputs, paramsAs: 'initializers' }).bytes, {
    intraOpThreads: 2,
  });
  const norm = { scale: normalization.scale, mean: normalization.mean[0], std: normalization.std[0] };
  const feats = plan.taps.map((t) => new Float32Array(indices.length * t.shape[0]));
  const input = new Float32Array(BATCH * 3 * size * size);
  for (let b = 0; b < indices.length; b += BATCH) {
    for (let j = 0; j < BATCH; j++) {
      const idx = indices[Math.min(b + j, indices.length - 1)]!;
      toInput(split, idx, norm, input.subarray(j * 3 * size * size, (j + 1) * 3 * size * size));
    }
    const res = await session.run({ image: float32(input, [BATCH, 3, size, size]) });
    plan.taps.forEach((t, ti) => {
      const data = res[`tap${ti}`]!.data as Float32Array;
      const c = t.shape[0];
      const n = Math.min(BATCH, indices.length - b);
      feats[ti]!.set(data.subarray(0, n * c), b * c);
    });
    if ((b / BATCH) % 20 === 0) process.stderr.write(`  ${b}/${indices.length} load ${loadavg()[0]!.toFixed(2)}\n`);
  }
  await session.release();
  return feats;
}

async function cachedFeatures(name: string, split: Split, indices: number[]): Promise<Float32Array[]> {
  const dir = join(repo, 'dist', 'bench-backbone-knn');
  const key = `${args.backbone!.replace(/[^A-Za-z0-9._-]+/g, '_')}-${size}-${taps.join('+')}-${name}-${indices.length}`;
  const file = join(dir, `${key}.json`);
  if (existsSync(file)) {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { dims: number[]; data: string[] };
    return raw.data.map((b64) => new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer));
  }
  const feats = await extract(split, indices);
  mkdirSync(dir, { recursive: true });
  const data = feats.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64'));
  writeFileSync(file, JSON.stringify({ dims: feats.map((f) => f.length / indices.length), data }));
  return feats;
}

/** Per-image vectors for the chosen taps, each tap L2-normalised, concatenated, L2-normalised again. */
function vectors(feats: Float32Array[], n: number, which: number[]): Float32Array[] {
  return Array.from({ length: n }, (_, i) => {
    const parts = which.map((t) => {
      const c = feats[t]!.length / n;
      const v = feats[t]!.slice(i * c, (i + 1) * c);
      const norm = Math.hypot(...v) || 1;
      return v.map((x) => x / norm);
    });
    const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) all.set(p, (o += p.length) - p.length);
    const norm = Math.hypot(...all) || 1;
    return all.map((x) => x / norm);
  });
}

/**
 * Cosine distances test × train in onnxruntime (one MatMul: JS loops over 2000 × 10000 × thousands of channels take
 * minutes on a loaded 2-core machine), then per test image the mean of its k smallest distances to each class's
 * training images. Returns scores[class][test].
 */
async function knnScoresPerClass(
  train: Float32Array[],
  test: Float32Array[],
  classes: number,
): Promise<Float32Array[]> {
  const d = test[0]!.length;
  const g = new Graph();
  const a = g.input('test', [test.length, d]);
  const b = g.input('trainT', [d, train.length]);
  const bytes = exportModel({ graph: g, outputs: { sim: matmul(a, b) }, paramsAs: 'initializers' }).bytes;
  const session = await InferenceSession.open(bytes, { intraOpThreads: 2 });
  const flat = new Float32Array(test.length * d);
  test.forEach((v, i) => flat.set(v, i * d));
  const trainT = new Float32Array(d * train.length);
  train.forEach((v, j) => v.forEach((x, c) => (trainT[c * train.length + j] = x)));
  const out = await session.run({ test: float32(flat, [test.length, d]), trainT: float32(trainT, [d, train.length]) });
  await session.release();
  const sim = out['sim']!.data as Float32Array;
  const per = train.length / classes;
  return Array.from({ length: classes }, (_, c) => {
    const scores = new Float32Array(test.length);
    for (let i = 0; i < test.length; i++) {
      const row = sim.subarray(i * train.length + c * per, i * train.length + (c + 1) * per);
      const nearest = Array.from(row)
        .sort((x, y) => y - x)
        .slice(0, k);
      scores[i] = nearest.reduce((s, v) => s + (1 - v), 0) / nearest.length;
    }
    return scores;
  });
}

const t0 = performance.now();
const trainSplit = readIdxSplit(resolve(args.data!), 'train');
const testSplit = readIdxSplit(resolve(args.data!), 't10k');
const trainIdx = pick(trainSplit, trainPer);
const testIdx = pick(testSplit, testPer);
const trainFeats = await cachedFeatures('train', trainSplit, trainIdx.flat());
const testFeats = await cachedFeatures('test', testSplit, testIdx.flat());
const testLabels = testIdx.flatMap((list, c) => list.map(() => c));
const variants: Record<string, number[]> = { all: taps.map((_, i) => i) };
taps.forEach((t, i) => (variants[t] = [i]));
const result: Record<string, { perClass: number[]; mean: number }> = {};
for (const [name, which] of Object.entries(variants)) {
  const train = vectors(trainFeats, trainIdx.flat().length, which);
  const test = vectors(testFeats, testLabels.length, which);
  const scores = await knnScoresPerClass(train, test, trainIdx.length);
  const perClass = scores.map((sc, c) =>
    auroc(
      sc,
      Uint8Array.from(testLabels, (l) => (l === c ? 0 : 1)),
    ),
  );
  result[name] = { perClass, mean: perClass.reduce((s, v) => s + v, 0) / perClass.length };
  console.log(
    `${name.padEnd(24)} mean ${result[name]!.mean.toFixed(3)}  [${perClass.map((v) => v.toFixed(3)).join(' ')}]`,
  );
}
const summary = {
  backbone: args.backbone,
  taps,
  size,
  trainPerClass: trainPer,
  testPerClass: testPer,
  k,
  result,
  seconds: (performance.now() - t0) / 1000,
  loadavg: loadavg(),
};
if (args.json) writeFileSync(resolve(args.json), JSON.stringify(summary, null, 2));
console.log(
  `${summary.seconds.toFixed(0)} s, loadavg ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
