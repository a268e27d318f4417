import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIFFERENTIABLE_OPS } from '../src/autodiff/grad.js';
import * as o from '../src/ops/index.js';
import { Rng } from '../src/init.js';
import { decoderBlock, encoderBlock } from '../src/layers/transformer.js';
import { awayFromZero, gradCheck, positive, type GradCase } from './gradcheck.js';

const cases: GradCase[] = [
  { name: 'add broadcast', inputs: [{ shape: [2, 3, 4] }, { shape: [4] }], build: (_g, [a, b]) => o.add(a!, b!) },
  {
    name: 'add both broadcast',
    inputs: [{ shape: [2, 1, 4] }, { shape: [3, 1] }],
    build: (_g, [a, b]) => o.add(a!, b!),
  },
  { name: 'sub broadcast', inputs: [{ shape: [3, 4] }, { shape: [2, 1, 4] }], build: (_g, [a, b]) => o.sub(a!, b!) },
  { name: 'mul broadcast', inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }], build: (_g, [a, b]) => o.mul(a!, b!) },
  { name: 'mul self', inputs: [{ shape: [5] }], build: (_g, [a]) => o.mul(a!, a!) },
  {
    name: 'div broadcast',
    inputs: [{ shape: [2, 3] }, { shape: [1, 3], gen: positive }],
    build: (_g, [a, b]) => o.div(a!, b!),
  },
  { name: 'div by number', inputs: [{ shape: [4] }], build: (_g, [a]) => o.div(2, a!) },
  { name: 'pow int', inputs: [{ shape: [2, 3] }], build: (_g, [a]) => o.pow(a!, 3) },
  { name: 'pow 2', inputs: [{ shape: [2, 3] }], build: (_g, [a]) => o.pow(a!, 2) },
  { name: 'pow frac', inputs: [{ shape: [2, 3], gen: positive }], build: (_g, [a]) => o.pow(a!, 2.5) },
  {
    name: 'pow tensor',
    inputs: [{ shape: [2, 3], gen: positive }, { shape: [3] }],
    build: (_g, [a, b]) => o.pow(a!, b!),
  },
  { name: 'neg', inputs: [{ shape: [3, 2] }], build: (_g, [a]) => o.neg(a!) },
  { name: 'exp', inputs: [{ shape: [3, 2] }], build: (_g, [a]) => o.exp(a!) },
  { name: 'log', inputs: [{ shape: [3, 2], gen: positive }], build: (_g, [a]) => o.log(a!) },
  { name: 'sqrt', inputs: [{ shape: [3, 2], gen: positive }], build: (_g, [a]) => o.sqrt(a!) },
  { name: 'abs', inputs: [{ shape: [3, 2] }], build: (_g, [a]) => o.abs(a!) },
  { name: 'relu', inputs: [{ shape: [3, 4] }], build: (_g, [a]) => o.relu(a!) },
  { name: 'sigmoid', inputs: [{ shape: [3, 4] }], build: (_g, [a]) => o.sigmoid(a!) },
  { name: 'tanh', inputs: [{ shape: [3, 4] }], build: (_g, [a]) => o.tanh(a!) },
  // ORT CPU has no double Erf: float32 with the loose tolerance stated in gradcheck.ts.
  { name: 'erf (f32)', dtype: 'float32', inputs: [{ shape: [3, 4] }], build: (_g, [a]) => o.erf(a!) },
  { name: 'gelu (f32)', dtype: 'float32', inputs: [{ shape: [3, 4] }], build: (_g, [a]) => o.gelu(a!) },
  { name: 'sign (zero grad)', inputs: [{ shape: [4] }], build: (_g, [a]) => o.add(o.sign(a!), a!) },
  {
    name: 'clip',
    inputs: [{ shape: [3, 4], gen: (r) => awayFromZero(r) * 0.9 + (r.next() < 0.5 ? 0.2 : -0.2) }],
    build: (_g, [a]) => o.clip(a!, -0.5, 0.5),
  },
  { name: 'clip upper only', inputs: [{ shape: [6] }], build: (_g, [a]) => o.clip(a!, undefined, 0.3) },
  {
    name: 'where broadcast',
    inputs: [{ shape: [2, 3] }, { shape: [3] }],
    build: (g, [a, b]) => o.where(g.constant(Uint8Array.of(1, 0, 1, 0, 0, 1), [2, 3]), a!, b!),
  },
  { name: 'where scalar branch', inputs: [{ shape: [2, 3] }], build: (_g, [a]) => o.where(o.greater(a!, 0), a!, 0) },
  {
    name: 'cast+identity (f32)',
    dtype: 'float32',
    inputs: [{ shape: [3] }],
    build: (_g, [a]) => o.identity(o.cast(o.cast(a!, 'float64'), 'float32')),
  },
  { name: 'sum', inputs: [{ shape: [2, 2] }, { shape: [2, 2] }], build: (_g, [a, b]) => o.sumAll([a!, b!, a!]) },
  { name: 'matmul 3d@2d', inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }], build: (_g, [a, b]) => o.matmul(a!, b!) },
  { name: 'matmul 2d@2d', inputs: [{ shape: [3, 4] }, { shape: [4, 2] }], build: (_g, [a, b]) => o.matmul(a!, b!) },
  {
    name: 'matmul 4d batched',
    inputs: [{ shape: [2, 2, 3, 4] }, { shape: [2, 2, 4, 3] }],
    build: (_g, [a, b]) => o.matmul(a!, b!),
  },
  {
    name: 'matmul broadcast a',
    inputs: [{ shape: [3, 4] }, { shape: [2, 4, 5] }],
    build: (_g, [a, b]) => o.matmul(a!, b!),
  },
  {
    name: 'matmul broadcast batch',
    inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }],
    build: (_g, [a, b]) => o.matmul(a!, b!),
  },
  {
    name: 'matmul Kᵀ',
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 5, 4] }],
    build: (_g, [a, b]) => o.matmul(a!, o.transposeLast2(b!)),
  },
  { name: 'reduceSum axes', inputs: [{ shape: [2, 3, 4] }], build: (_g, [a]) => o.reduceSum(a!, [0, 2]) },
  {
    name: 'reduceSum keep',
    inputs: [{ shape: [2, 3, 4] }],
    build: (_g, [a]) => o.reduceSum(a!, [1], { keepDims: true }),
  },
  { name: 'reduceMean', inputs: [{ shape: [2, 3, 4] }], build: (_g, [a]) => o.reduceMean(a!, [-1]) },
  { name: 'reduceMean all', inputs: [{ shape: [2, 3] }], build: (_g, [a]) => o.reduceMean(a!) },
  { name: 'reduceMax', inputs: [{ shape: [2, 3, 4] }], build: (_g, [a]) => o.reduceMax(a!, [1]) },
  { name: 'reshape', inputs: [{ shape: [2, 6] }], build: (_g, [a]) => o.reshape(a!, [3, -1]) },
  { name: 'transpose', inputs: [{ shape: [2, 3, 4] }], build: (_g, [a]) => o.transpose(a!, [2, 0, 1]) },
  { name: 'concat', inputs: [{ shape: [2, 3] }, { shape: [2, 2] }], build: (_g, [a, b]) => o.concat([a!, b!, a!], 1) },
  { name: 'slice', inputs: [{ shape: [4, 5] }], build: (_g, [a]) => o.slice(a!, [1, -4], [3, 4]) },
  { name: 'pad', inputs: [{ shape: [2, 3] }], build: (_g, [a]) => o.pad(a!, [1, 0, 0, 2], 0.5) },
  { name: 'expand', inputs: [{ shape: [3, 1] }], build: (_g, [a]) => o.expand(a!, [2, 3, 4]) },
  {
    name: 'gather axis 0',
    inputs: [{ shape: [4, 3] }],
    build: (g, [a]) => o.gather(a!, g.constant(BigInt64Array.of(2n, 0n, 2n), [3]), 0),
  },
  {
    name: 'gatherElements',
    inputs: [{ shape: [2, 4] }],
    build: (g, [a]) => o.gatherElements(a!, g.constant(BigInt64Array.of(3n, 1n, 0n, 0n), [2, 2]), 1),
  },
  { name: 'topK', inputs: [{ shape: [3, 6] }], build: (_g, [a]) => o.topK(a!, 3, { axis: 1 }).values },
  {
    name: 'topK smallest axis 0',
    inputs: [{ shape: [5, 2] }],
    build: (_g, [a]) => o.topK(a!, 2, { axis: 0, largest: false }).values,
  },
  {
    name: 'attention (closed-form backward)',
    inputs: [{ shape: [2, 2, 3, 4] }, { shape: [2, 2, 4, 5] }, { shape: [2, 2, 5, 3] }],
    build: (_g, [q, kT, v]) => o.attention(q!, kT!, v!),
  },
  {
    // An additive mask (here −10⁴ on two query/key pairs, −1.5 on another) is a constant: the backward is unchanged.
    name: 'attention with a mask',
    inputs: [{ shape: [2, 2, 3, 4] }, { shape: [2, 2, 4, 5] }, { shape: [2, 2, 5, 3] }],
    build: (g, [q, kT, v]) =>
      o.attention(
        q!,
        kT!,
        v!,
        g.constant(Float64Array.of(-1e4, 0, 0, 0, 0, 0, -1e4, 0, 0, 0, 0, 0, -1.5, 0, 0), [3, 5]),
      ),
  },
  { name: 'softmax', inputs: [{ shape: [2, 3, 4] }], build: (_g, [a]) => o.softmax(a!, 1) },
  {
    name: 'layerNorm last axis',
    inputs: [{ shape: [2, 3, 5] }, { shape: [5] }, { shape: [5] }],
    build: (_g, [x, gm, b]) => o.layerNorm(x!, gm!, b!),
  },
  {
    name: 'layerNorm axis 1, no beta',
    inputs: [{ shape: [2, 3, 4] }, { shape: [3, 4] }],
    build: (_g, [x, gm]) => o.layerNorm(x!, gm!, undefined, { axis: 1 }),
  },
];

test('gradient check (central differences) for every op with a rule', async () => {
  const covered = new Set<string>();
  for (const c of cases) for (const op of await gradCheck(c)) covered.add(op);
  const missing = DIFFERENTIABLE_OPS.filter((op) => !covered.has(op));
  assert.deepEqual(missing, [], `ops with a rule but no gradient check: ${missing.join(', ')}`);
});

test('gradient check through a whole encoder and decoder block (float64, relu FFN)', async () => {
  await gradCheck({
    name: 'encoderBlock',
    inputs: [{ shape: [2, 3, 4] }],
    build: (g, [x]) => encoderBlock(g, 'enc', x!, { heads: 2, ffn: 6, activation: 'relu' }),
  });
  await gradCheck({
    name: 'decoderBlock',
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 5, 4] }],
    build: (g, [q, m]) => decoderBlock(g, 'dec', q!, m!, { heads: 2, ffn: 6, activation: 'relu' }),
  });
});

test('gradient check on random broadcasting shapes (binary ops, where, matmul)', async () => {
  const r = new Rng(2024);
  const dim = (): number => 1 + Math.floor(r.next() * 3);
  for (let trial = 0; trial < 6; trial++) {
    const rank = 1 + Math.floor(r.next() * 3);
    const full = Array.from({ length: rank }, dim);
    // Each operand drops some leading axes and sets some axes to 1.
    const operand = (): number[] => {
      const drop = Math.floor(r.next() * rank);
      return full.slice(drop).map((d) => (r.next() < 0.3 ? 1 : d));
    };
    const [sa, sb] = [operand(), operand()];
    for (const [name, f] of [
      ['add', o.add],
      ['sub', o.sub],
      ['mul', o.mul],
      ['div', o.div],
    ] as const) {
      await gradCheck({
        name: `${name} [${sa}]∘[${sb}]`,
        inputs: [{ shape: sa }, { shape: sb, gen: name === 'div' ? positive : undefined }],
        build: (_g, [a, b]) => f(a!, b!),
      });
    }
    await gradCheck({
      name: `where [${sa}]?[${sb}]`,
      inputs: [{ shape: sa }, { shape: sb }],
      build: (_g, [a, b]) => o.where(o.greater(a!, 0), a!, b!),
    });
    const [m, k, n] = [dim(), dim() + 1, dim()];
    // Batch dims: suffixes of `full` with some axes set to 1, so they always broadcast.
    const batch = (): number[] => full.slice(Math.floor(r.next() * (rank + 1))).map((d) => (r.next() < 0.3 ? 1 : d));
    const [batchA, batchB] = [batch(), batch()];
    await gradCheck({
      name: `matmul [${batchA},${m},${k}]@[${batchB},${k},${n}]`,
      inputs: [{ shape: [...batchA, m, k] }, { shape: [...batchB, k, n] }],
      build: (_g, [a, b]) => o.matmul(a!, b!),
    });
  }
});
