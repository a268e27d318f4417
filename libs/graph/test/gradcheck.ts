/** Finite-difference gradient checking: one session yields loss + analytic grads; perturbations run in TS. */
import assert from 'node:assert/strict';
import { Graph } from '../src/builder.js';
import { grad } from '../src/autodiff/grad.js';
import { Rng } from '../src/init.js';
import { mul, reduceSum } from '../src/ops/index.js';
import { exportModel } from '../src/onnx/serialize.js';
import { createSession, ortTensor, type OrtTensor } from '../src/runtime/ort.js';
import type { FloatDType, Shape, Tensor } from '../src/tensor.js';

export interface InputSpec {
  readonly shape: Shape;
  /** Value generator; default uniform(-1, 1) kept away from 0 by 0.05 (kinks of abs/relu). */
  readonly gen?: (r: Rng) => number;
}

export interface GradCase {
  readonly name: string;
  readonly inputs: readonly InputSpec[];
  readonly build: (g: Graph, xs: Tensor[]) => Tensor;
  readonly dtype?: FloatDType;
}

export const awayFromZero = (r: Rng): number => {
  const v = r.uniform(0.05, 1);
  return r.next() < 0.5 ? -v : v;
};
export const positive = (r: Rng): number => r.uniform(0.3, 2);

/** Returns the forward ops used, so the suite can assert every rule is covered. */
export async function gradCheck(c: GradCase, seed = 7): Promise<string[]> {
  const dtype = c.dtype ?? 'float64';
  const g = new Graph({ dtype, seed });
  const rng = new Rng(seed);
  const xs = c.inputs.map((s, i) => g.input(`x${i}`, s.shape));
  const y = c.build(g, xs);
  const forwardOps = g.nodes.map((n) => n.op);
  const filled = (n: number, f: () => number): Float64Array | Float32Array => {
    const arr = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) arr[i] = f();
    return arr;
  };
  // Random weights make the check sensitive to every output element (a plain sum hides some errors).
  const w = g.constant(
    filled(y.size, () => rng.uniform(-1, 1)),
    y.shape,
    'weights',
  );
  const loss = reduceSum(mul(y, w));
  const grads = grad(loss, xs);
  const outputs: Record<string, Tensor> = { loss };
  grads.forEach((gt, i) => (outputs[`g${i}`] = gt));
  // Params built inside `build` (layers) are baked in at their seeded initial values.
  const model = exportModel({
    graph: g,
    outputs,
    paramsAs: 'initializers',
    paramValue: (n) => g.params.get(n)!.init,
    keepInputs: xs,
  });
  const session = await createSession(model.bytes, { threads: 1 });
  const values = c.inputs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    return filled(n, () => (s.gen ?? awayFromZero)(rng));
  });
  const feeds = (): Record<string, OrtTensor> =>
    Object.fromEntries(values.map((v, i) => [`x${i}`, ortTensor(dtype, v, c.inputs[i]!.shape)]));
  const base = await session.run(feeds());
  const h = dtype === 'float64' ? 1e-6 : 1e-2;
  // float64: truncation error O(h²) ≈ 1e-12. float32 (h = 1e-2): truncation ≈ 1e-4 and rounding ≈ 1e-5, so 2e-3.
  const [atol, rtol] = dtype === 'float64' ? [1e-6, 1e-5] : [2e-3, 2e-3];
  for (let i = 0; i < values.length; i++) {
    const analytic = base[`g${i}`]!.data as Float64Array | Float32Array;
    const v = values[i]!;
    for (let j = 0; j < v.length; j++) {
      const orig = v[j]!;
      v[j] = orig + h;
      const lp = ((await session.run(feeds())).loss!.data as Float64Array)[0]!;
      v[j] = orig - h;
      const lm = ((await session.run(feeds())).loss!.data as Float64Array)[0]!;
      v[j] = orig;
      const numeric = (lp - lm) / (2 * h);
      const a = analytic[j]!;
      assert.ok(
        Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric),
        `${c.name}: d/dx${i}[${j}] analytic ${a} vs numeric ${numeric}`,
      );
    }
  }
  await session.release();
  return forwardOps;
}
