/** Gradient rules for linear algebra, reductions, layout, selection and normalisation ops. */
import { GraphError } from '../errors.js';
import { cast, mul, sub, where, equal } from '../ops/elementwise.js';
import { gemm, matmul, matmulTransA } from '../ops/linalg.js';
import { reduceMean, reduceSum } from '../ops/reduce.js';
import { expand, pad, reshape, scatterElementsAdd, slice, transpose, transposeLast2 } from '../ops/shape.js';
import { keptShape } from '../ops/util.js';
import type { Tensor } from '../tensor.js';
import type { GradRule } from './rule.js';
import { constInts, unbroadcast, zerosLike } from './unbroadcast.js';

function attrInt(n: Parameters<GradRule>[0], name: string): number {
  const a = n.attrs[name];
  return a && a.t === 'i' ? a.v : 0;
}

function attrInts(n: Parameters<GradRule>[0], name: string): number[] {
  const a = n.attrs[name];
  return a && a.t === 'is' ? [...a.v] : [];
}

function reduceBack(n: Parameters<GradRule>[0], gy: Tensor, axes: number[]): Tensor {
  const x = n.inputs[0]!;
  return expand(reshape(gy, keptShape(x.shape, axes, true)), x.shape);
}

export const structuralRules: Record<string, GradRule> = {
  // dA = dY·Bᵀ, dB = Aᵀ·dY. With a 2-D weight, dB is one Gemm over the flattened batch with transA folded in;
  // transposes of batched operands are left for ORT's MatMul+Transpose fusion (FusedMatMul).
  MatMul: (n, [gy], needs) => {
    const [a, b] = n.inputs as [Tensor, Tensor];
    const k = a.shape[a.rank - 1]!;
    const nn = b.shape[b.rank - 1]!;
    const ga = needs[0] ? unbroadcast(matmul(gy!, transposeLast2(b)), a.shape) : undefined;
    let gb: Tensor | undefined;
    if (needs[1]) {
      gb =
        b.rank === 2
          ? gemm(reshape(a, [-1, k]), reshape(gy!, [-1, nn]), { transA: true })
          : unbroadcast(matmulTransA(a, gy!), b.shape);
    }
    return [ga, gb];
  },
  ReduceSum: (n, [gy]) => [reduceBack(n, gy!, constInts(n.inputs[0]!.graph, n.inputs[1])), undefined],
  ReduceMean: (n, [gy]) => {
    const x = n.inputs[0]!;
    const axes = attrInts(n, 'axes');
    const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
    return [reduceBack(n, mul(gy!, 1 / count), axes)];
  },
  // Flows to every position equal to the max (ties share it in full; ties have measure zero for float data).
  ReduceMax: (n, [gy]) => {
    const x = n.inputs[0]!;
    const kept = keptShape(x.shape, attrInts(n, 'axes'), true);
    return [where(equal(x, reshape(n.outputs[0]!, kept)), reshape(gy!, kept), 0)];
  },
  Reshape: (n, [gy]) => [reshape(gy!, n.inputs[0]!.shape), undefined],
  Expand: (n, [gy]) => [unbroadcast(gy!, n.inputs[0]!.shape), undefined],
  Transpose: (n, [gy]) => {
    const perm = attrInts(n, 'perm');
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [transpose(gy!, inv)];
  },
  Concat: (n, [gy], needs) => {
    const axis = attrInt(n, 'axis');
    let off = 0;
    return n.inputs.map((t, i) => {
      const len = t!.shape[axis]!;
      const r = needs[i] ? slice(gy!, [off], [off + len], [axis]) : undefined;
      off += len;
      return r;
    });
  },
  Slice: (n, [gy]) => {
    const x = n.inputs[0]!;
    const g = x.graph;
    const starts = constInts(g, n.inputs[1]);
    const ends = constInts(g, n.inputs[2]);
    const axes = constInts(g, n.inputs[3]);
    const pads = new Array<number>(2 * x.rank).fill(0);
    axes.forEach((a, i) => {
      pads[a] = starts[i]!;
      pads[a + x.rank] = x.shape[a]! - ends[i]!;
    });
    return [pad(gy!, pads), undefined, undefined, undefined];
  },
  Pad: (n, [gy]) => {
    const x = n.inputs[0]!;
    const pads = constInts(x.graph, n.inputs[1]);
    const starts = x.shape.map((_, i) => pads[i]!);
    return [
      slice(
        gy!,
        starts,
        x.shape.map((d, i) => starts[i]! + d),
      ),
      undefined,
      undefined,
    ];
  },
  Gather: (n, [gy]) => {
    const [x, idx] = n.inputs as [Tensor, Tensor];
    const axis = attrInt(n, 'axis');
    if (axis !== 0)
      throw new GraphError('LW_GRAPH_NO_GRADIENT', 'Gather: gradient only for axis 0', { op: 'Gather', axis });
    const g = x.graph;
    const idxNd = reshape(idx, [...idx.shape, 1]);
    const gx = g.add1('ScatterND', [zerosLike(g, x), idxNd, gy!], x.shape, x.dtype, {
      reduction: { t: 's', v: 'add' },
    });
    return [gx, undefined];
  },
  GatherElements: (n, [gy]) => {
    const [x, idx] = n.inputs as [Tensor, Tensor];
    return [scatterElementsAdd(zerosLike(x.graph, x), idx, gy!, attrInt(n, 'axis')), undefined];
  },
  // Values flow back to the positions they were taken from; indices carry no gradient.
  TopK: (n, [gv]) => {
    const x = n.inputs[0]!;
    if (!gv) return [undefined, undefined];
    return [scatterElementsAdd(zerosLike(x.graph, x), n.outputs[1]!, gv, attrInt(n, 'axis')), undefined];
  },
  // dx = y ⊙ (dy − Σ(dy ⊙ y)) along the axis: one reduction, no Jacobian.
  Softmax: (n, [gy]) => {
    const y = n.outputs[0]!;
    const axis = attrInt(n, 'axis');
    return [mul(y, sub(gy!, reduceSum(mul(gy!, y), [axis], { keepDims: true })))];
  },
  // Reuses the forward's Mean/InvStdDev outputs. With x̂ = (x−μ)·σ⁻¹ and g = dy⊙γ over the normalised axes:
  // dx = σ⁻¹·(g − mean(g) − x̂·mean(g⊙x̂)), dγ = Σ_batch dy⊙x̂, dβ = Σ_batch dy.
  LayerNormalization: (n, [gy], needs) => {
    const [x, gamma, beta] = n.inputs as [Tensor, Tensor, Tensor | null];
    const axis = attrInt(n, 'axis');
    const normAxes = x.shape.map((_, i) => i).filter((i) => i >= axis);
    const batchAxes = x.shape.map((_, i) => i).filter((i) => i < axis);
    const mean = cast(n.outputs[1]!, x.dtype);
    const inv = cast(n.outputs[2]!, x.dtype);
    const xhat = mul(sub(x, mean), inv);
    const sumBatch = (t: Tensor): Tensor => (batchAxes.length > 0 ? reduceSum(t, batchAxes) : t);
    let gx: Tensor | undefined;
    if (needs[0]) {
      const g = mul(gy!, gamma);
      const m1 = reduceMean(g, normAxes, { keepDims: true });
      const m2 = reduceMean(mul(g, xhat), normAxes, { keepDims: true });
      gx = mul(sub(sub(g, m1), mul(xhat, m2)), inv);
    }
    return [gx, needs[1] ? sumBatch(mul(gy!, xhat)) : undefined, needs[2] && beta ? sumBatch(gy!) : undefined];
  },
};
