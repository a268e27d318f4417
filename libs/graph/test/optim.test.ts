import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../src/builder.js';
import { init, Rng } from '../src/init.js';
import { add, mul, reduceSum, sub } from '../src/ops/index.js';
import type { Tensor } from '../src/tensor.js';
import { adamw } from '../src/optim/adamw.js';
import { sgd } from '../src/optim/sgd.js';
import { constantLr, stepDecay } from '../src/optim/schedule.js';
import { Trainer } from '../src/runtime/trainer.js';
import type { Optimizer } from '../src/optim/optimizer.js';

/** loss = Σ c ⊙ w + ½ Σ (w − t)² for a matrix w and a bias b → dL/dw = c + (w − t), dL/db = c_b + (b − t_b). */
function problem(seed: number) {
  const r = new Rng(seed);
  const vals = (n: number) => Float32Array.from({ length: n }, () => r.uniform(-1, 1));
  return { w0: vals(6), b0: vals(3), c: vals(6), cb: vals(3), t: vals(6), tb: vals(3) };
}

async function runGraph(opt: Optimizer, steps: number, lrs: (i: number) => number) {
  const p = problem(1);
  const g = new Graph({ seed: 1 });
  const w = g.param('w', [2, 3], init.values(p.w0));
  const b = g.param('b', [3], init.values(p.b0));
  const quad = (x: Tensor, t: Float32Array, c: Float32Array, shape: number[]): Tensor => {
    const d = sub(x, g.constant(t, shape));
    return add(reduceSum(mul(g.constant(c, shape), x)), mul(reduceSum(mul(d, d)), 0.5));
  };
  const loss = add(quad(w, p.t, p.c, [2, 3]), quad(b, p.tb, p.cb, [3]));
  const trainer = await Trainer.create({ graph: g, loss, optimizer: opt, threads: 1 });
  for (let i = 0; i < steps; i++) await trainer.step({}, lrs(i));
  const out = { w: Array.from(trainer.param('w')), b: Array.from(trainer.param('b')) };
  await trainer.release();
  return out;
}

function reference(
  update: (p: number[], g: number[], state: Record<string, number[]>, lr: number, step: number, decay: boolean) => void,
  steps: number,
  lrs: (i: number) => number,
) {
  const p = problem(1);
  const w = Array.from(p.w0);
  const b = Array.from(p.b0);
  const sw: Record<string, number[]> = {};
  const sb: Record<string, number[]> = {};
  for (let i = 0; i < steps; i++) {
    const gw = w.map((v, k) => p.c[k]! + (v - p.t[k]!));
    const gb = b.map((v, k) => p.cb[k]! + (v - p.tb[k]!));
    update(w, gw, sw, lrs(i), i + 1, true);
    update(b, gb, sb, lrs(i), i + 1, false);
  }
  return { w, b };
}

function assertClose(a: number[], b: number[], tol: number, what: string) {
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= tol, `${what}[${i}]: ${v} vs ${b[i]}`));
}

test('AdamW step matches a plain-TS reference (1e-6), decay only on matrices', async () => {
  const [b1, b2, eps, wd] = [0.9, 0.99, 1e-8, 0.1];
  const lrs = (i: number) => (i < 3 ? 0.05 : 0.005);
  const got = await runGraph(adamw({ beta1: b1, beta2: b2, eps, weightDecay: wd }), 6, lrs);
  const want = reference(
    (p, g, s, lr, t, decay) => {
      s['m'] ??= p.map(() => 0);
      s['v'] ??= p.map(() => 0);
      p.forEach((_, k) => {
        if (decay) p[k]! *= 1 - lr * wd;
        s['m']![k] = b1 * s['m']![k]! + (1 - b1) * g[k]!;
        s['v']![k] = b2 * s['v']![k]! + (1 - b2) * g[k]! * g[k]!;
        const mhat = s['m']![k]! / (1 - b1 ** t);
        const vhat = s['v']![k]! / (1 - b2 ** t);
        p[k]! -= (lr * mhat) / (Math.sqrt(vhat) + eps);
      });
    },
    6,
    lrs,
  );
  assertClose(got.w, want.w, 1e-6, 'w');
  assertClose(got.b, want.b, 1e-6, 'b');
});

test('SGD with momentum and weight decay matches a plain-TS reference', async () => {
  const [mu, wd] = [0.9, 0.01];
  const got = await runGraph(sgd({ momentum: mu, weightDecay: wd }), 5, () => 0.1);
  const want = reference(
    (p, g, s, lr, _t, decay) => {
      s['buf'] ??= p.map(() => 0);
      p.forEach((_, k) => {
        const gk = g[k]! + (decay ? wd * p[k]! : 0);
        s['buf']![k] = mu * s['buf']![k]! + gk;
        p[k]! -= lr * s['buf']![k]!;
      });
    },
    5,
    () => 0.1,
  );
  assertClose(got.w, want.w, 1e-6, 'w');
  assertClose(got.b, want.b, 1e-6, 'b');
  const plain = await runGraph(sgd(), 1, () => 0.1);
  const p = problem(1);
  assertClose(
    plain.b,
    Array.from(p.b0, (v, k) => v - 0.1 * (p.cb[k]! + (v - p.tb[k]!))),
    1e-6,
    'plain b',
  );
});

test('step decay schedule multiplies by 0.1 at each milestone', () => {
  const s = stepDecay(1e-3, [80]);
  assert.equal(s(0), 1e-3);
  assert.equal(s(79), 1e-3);
  assert.ok(Math.abs(s(80) - 1e-4) < 1e-18);
  const two = stepDecay(1, [10, 20], 0.5);
  assert.deepEqual([two(9), two(10), two(25)], [1, 0.5, 0.25]);
  assert.equal(constantLr(0.3)(1000), 0.3);
});
