/** Loss functions checked against values computed by hand from the formulas (plain TS, float64). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportModel, Graph, type Tensor } from '@linewatch/graph';
import { float32, InferenceSession } from '@linewatch/inference';
import { lossImg, lossMixed, lossNorm, lossPx, phi, residual } from '../src/index.js';

// N = 2 images, T = 3 tokens, C = 2 channels.
const F = [
  [
    [1, 2],
    [0, 0],
    [3, -1],
  ],
  [
    [0.5, 0.5],
    [2, 2],
    [-1, 0],
  ],
];
const FH = [
  [
    [1, 1],
    [0, 0],
    [1, 1],
  ],
  [
    [0.5, 0.5],
    [0, 0],
    [-1, 0],
  ],
];
const MASK = [
  [0, 0, 1],
  [0, 1, 0],
];
const HAS = [1, 1];
const LABEL = [1, 0];
const ALPHA = 0.003;

const d = F.map((img, n) => img.map((tok, u) => tok.map((v, c) => v - FH[n]![u]![c]!)));
const phiRef = d.map((img) =>
  img.map((tok) => Math.sqrt((tok.reduce((a, v) => a + Math.abs(v), 0) / tok.length) ** 2 + 1) - 1),
);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const logGuard = (s: number) => Math.log(Math.min(Math.max(1 - Math.exp(-s), 1e-6), 1));

const normRef = mean(d.map((img) => mean(img.map((tok) => tok.reduce((a, v) => a + v * v, 0)))));
const pxRef = mean(
  d.map((_, n) => {
    const p = phiRef[n]!;
    const pull = mean(p.map((v, u) => (1 - MASK[n]![u]!) * v));
    const pushed = mean(p.map((v, u) => MASK[n]![u]! * v));
    return pull - ALPHA * HAS[n]! * logGuard(pushed);
  }),
);
const K = 2;
const imgRef = mean(
  d.map((_, n) => {
    const q = mean([...phiRef[n]!].sort((a, b) => b - a).slice(0, K));
    return (1 - LABEL[n]!) * q - ALPHA * LABEL[n]! * logGuard(q);
  }),
);

async function evaluate(
  build: (
    g: Graph,
    f: Tensor,
    fh: Tensor,
    mask: Tensor,
    has: Tensor,
    label: Tensor,
    w: Tensor,
  ) => Record<string, Tensor>,
  weights: readonly number[] = [0, 0],
) {
  const g = new Graph();
  const f = g.input('f', [2, 3, 2]);
  const fh = g.input('fh', [2, 3, 2]);
  const mask = g.input('mask', [2, 3]);
  const has = g.input('has', [2]);
  const label = g.input('label', [2]);
  const w = g.input('w', [2]);
  const outputs = build(g, f, fh, mask, has, label, w);
  const model = exportModel({ graph: g, outputs, paramsAs: 'initializers', keepInputs: [f, fh, mask, has, label, w] });
  const s = await InferenceSession.open(model.bytes);
  const out = await s.run({
    f: float32(Float32Array.from(F.flat(2)), [2, 3, 2]),
    fh: float32(Float32Array.from(FH.flat(2)), [2, 3, 2]),
    mask: float32(Float32Array.from(MASK.flat()), [2, 3]),
    has: float32(Float32Array.from(HAS), [2]),
    label: float32(Float32Array.from(LABEL), [2]),
    w: float32(Float32Array.from(weights), [2]),
  });
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
}

test('L_norm, φ, L_px and L_img match hand-computed values', async () => {
  const out = await evaluate((_g, f, fh, mask, has, label) => {
    const r = residual(f, fh);
    return { norm: lossNorm(r), phi: phi(r), px: lossPx(r, mask, has, ALPHA), img: lossImg(r, label, ALPHA, K) };
  });
  assert.ok(Math.abs(out['norm']![0]! - normRef) < 1e-5, `norm ${out['norm']} vs ${normRef}`);
  phiRef.flat().forEach((v, i) => assert.ok(Math.abs(out['phi']![i]! - v) < 1e-6, `phi[${i}]`));
  assert.ok(Math.abs(out['px']![0]! - pxRef) < 1e-6, `px ${out['px']} vs ${pxRef}`);
  assert.ok(Math.abs(out['img']![0]! - imgRef) < 1e-6, `img ${out['img']} vs ${imgRef}`);
  // Sanity of the hand values themselves (so a shared mistake in both would show): φ of token (0,2) is d=(2,-2).
  assert.ok(Math.abs(phiRef[0]![2]! - (Math.sqrt(5) - 1)) < 1e-12);
});

test('the push term is finite when nothing is reconstructed wrong, and gated off for normal images', async () => {
  const out = await evaluate((_g, f, _fh, mask, has, label) => {
    const zero = residual(f, f); // d = 0 everywhere: log(1 − e^0) would be −∞ unguarded
    return {
      px: lossPx(zero, mask, has, ALPHA),
      img: lossImg(zero, label, ALPHA, K),
      pxGated: lossPx(zero, mask, has, 0),
    };
  });
  assert.ok(Number.isFinite(out['px']![0]!) && out['px']![0]! > 0, `guarded push term, got ${out['px']}`);
  assert.ok(Math.abs(out['px']![0]! - ALPHA * -Math.log(1e-6)) < 1e-4);
  assert.ok(Number.isFinite(out['img']![0]!));
  assert.equal(out['pxGated']![0], 0);
});

/** Per-image L_px and L_img by hand, for the mixed loss. */
const pxOf = (n: number, alpha: number): number => {
  const p = phiRef[n]!;
  const pull = mean(p.map((v, u) => (1 - MASK[n]![u]!) * v));
  return pull - alpha * HAS[n]! * logGuard(mean(p.map((v, u) => MASK[n]![u]! * v)));
};
const imgOf = (n: number, alpha: number): number => {
  const q = mean([...phiRef[n]!].sort((a, b) => b - a).slice(0, K));
  return (1 - LABEL[n]!) * q - alpha * LABEL[n]! * logGuard(q);
};

test('L_mix weighs L_px and L_img per image, and is exactly one of them at weights 1 and 0', async () => {
  const ALPHA_PX = 0.01;
  const mixed = (weights: number[]) =>
    evaluate(
      (_g, f, fh, mask, has, label, w) => ({
        mixed: lossMixed(
          residual(f, fh),
          { mask, hasAnomaly: has, label, pxWeight: w },
          { px: ALPHA_PX, img: ALPHA },
          K,
        ),
        px: lossPx(residual(f, fh), mask, has, ALPHA_PX),
        img: lossImg(residual(f, fh), label, ALPHA, K),
      }),
      weights,
    );
  const half = await mixed([1, 0.25]);
  const want = mean([pxOf(0, ALPHA_PX), 0.25 * pxOf(1, ALPHA_PX) + 0.75 * imgOf(1, ALPHA)]);
  assert.ok(Math.abs(half['mixed']![0]! - want) < 1e-6, `mixed ${half['mixed']} vs ${want}`);
  const allPx = await mixed([1, 1]);
  assert.ok(Math.abs(allPx['mixed']![0]! - allPx['px']![0]!) < 1e-7, `all px: ${allPx['mixed']} vs ${allPx['px']}`);
  const allImg = await mixed([0, 0]);
  assert.ok(
    Math.abs(allImg['mixed']![0]! - allImg['img']![0]!) < 1e-7,
    `all img: ${allImg['mixed']} vs ${allImg['img']}`,
  );
  // The two per-image losses differ here, so the weights matter (a mixed loss ignoring them would fail above).
  assert.ok(Math.abs(pxOf(1, ALPHA_PX) - imgOf(1, ALPHA)) > 1e-3);
});
