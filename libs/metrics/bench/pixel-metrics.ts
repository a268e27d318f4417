/**
 * Pixel-metric speed on a realistic evaluation volume: 150 maps of 320×320 (~15.4 M pixels), ~3 % anomalous.
 * Run: `npx tsx --conditions=@linewatch/source bench/pixel-metrics.ts` from libs/metrics.
 */
import { aupro, pixelAuroc, pixelF1Max } from '../src/index.js';
import type { MapWithMask } from '../src/index.js';

const W = 320;
const H = 320;
const N = 150;
let seed = 1;
const rand = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};
const samples: MapWithMask[] = [];
for (let k = 0; k < N; k++) {
  const scores = new Float32Array(W * H);
  const mask = new Uint8Array(W * H);
  const cx = rand() * W;
  const cy = rand() * H;
  const r = k % 2 === 0 ? 0 : 10 + rand() * 30;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      mask[p] = (x - cx) ** 2 + (y - cy) ** 2 < r * r ? 1 : 0;
      scores[p] = rand() + mask[p]! * 0.6;
    }
  }
  samples.push({ scores, mask, width: W, height: H });
}
const pixels = N * W * H;
const time = (name: string, fn: () => number): void => {
  const t = performance.now();
  const v = fn();
  console.log(
    `${name}: ${v.toFixed(6)} in ${((performance.now() - t) / 1000).toFixed(2)} s (${(pixels / 1e6).toFixed(1)} M px)`,
  );
};
time('pixelAuroc', () =>
  pixelAuroc(
    samples.map((s) => s.scores),
    samples.map((s) => s.mask),
  ),
);
time(
  'pixelF1Max',
  () =>
    pixelF1Max(
      samples.map((s) => s.scores),
      samples.map((s) => s.mask),
    ).f1,
);
time('aupro@0.3', () => aupro(samples));
