/** Layout ops: reshape, transpose, concat, slice, pad, expand, gather. All shapes are checked at build time. */
import { GraphError } from '../errors.js';
import { attr, shapeSize, type Shape, type Tensor } from '../tensor.js';
import { broadcastShapes, normAxis } from './util.js';

/** Target shape may contain one -1, inferred from the element count. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const known = shape.filter((d) => d !== -1);
  const free = shape.length - known.length;
  const prod = shapeSize(known);
  const out = [...shape];
  if (free > 1 || known.some((d) => d < 1))
    throw new GraphError('LW_GRAPH_BAD_ARGUMENT', `Reshape: bad target [${shape.join(',')}]`, { shape });
  if (free === 1) {
    if (x.size % prod !== 0)
      throw new GraphError('LW_GRAPH_SHAPE_MISMATCH', `Reshape: ${x.toString()} → [${shape.join(',')}]`, { shape });
    out[out.indexOf(-1)] = x.size / prod;
  } else if (prod !== x.size) {
    throw new GraphError(
      'LW_GRAPH_SHAPE_MISMATCH',
      `Reshape: ${x.toString()} has ${x.size} elements, [${shape.join(',')}] needs ${prod}`,
      {
        from: x.shape,
        to: shape,
      },
    );
  }
  if (out.every((d, i) => d === x.shape[i]) && out.length === x.rank) return x;
  return x.graph.add1('Reshape', [x, x.graph.int64s(out)], out, x.dtype);
}

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== x.rank || sorted.some((p, i) => p !== i)) {
    throw new GraphError('LW_GRAPH_BAD_ARGUMENT', `Transpose: perm [${perm.join(',')}] invalid for ${x.toString()}`, {
      perm,
    });
  }
  if (perm.every((p, i) => p === i)) return x;
  return x.graph.add1(
    'Transpose',
    [x],
    perm.map((p) => x.shape[p]!),
    x.dtype,
    { perm: attr.ints(perm) },
  );
}

/** Swap the last two axes (Kᵀ in attention); ORT folds Transpose+MatMul into one FusedMatMul. */
export function transposeLast2(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = x.rank;
  [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
  return transpose(x, perm);
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const first = xs[0];
  if (!first) throw new GraphError('LW_GRAPH_BAD_ARGUMENT', 'Concat: needs at least one tensor', {});
  const ax = normAxis('Concat', axis, first.rank);
  let total = 0;
  for (const t of xs) {
    if (t.rank !== first.rank || t.dtype !== first.dtype || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new GraphError(
        'LW_GRAPH_SHAPE_MISMATCH',
        `Concat: ${t.toString()} does not fit ${first.toString()} on axis ${ax}`,
        { axis: ax },
      );
    }
    total += t.shape[ax]!;
  }
  if (xs.length === 1) return first;
  const shape = [...first.shape];
  shape[ax] = total;
  return first.graph.add1('Concat', xs, shape, first.dtype, { axis: attr.int(ax) });
}

/** Contiguous slice [start, end) per listed axis (step 1; negative indices count from the end). */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[], axes?: readonly number[]): Tensor {
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis('Slice', a, x.rank));
  if (starts.length !== ax.length || ends.length !== ax.length) {
    throw new GraphError('LW_GRAPH_BAD_ARGUMENT', 'Slice: starts, ends and axes must have equal length', {
      starts,
      ends,
      axes,
    });
  }
  const shape = [...x.shape];
  const s: number[] = [];
  const e: number[] = [];
  ax.forEach((a, i) => {
    const d = x.shape[a]!;
    const clampIdx = (v: number): number => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    const st = clampIdx(starts[i]!);
    const en = clampIdx(ends[i]!);
    if (en <= st)
      throw new GraphError('LW_GRAPH_BAD_ARGUMENT', `Slice: empty range on axis ${a}`, { axis: a, start: st, end: en });
    s.push(st);
    e.push(en);
    shape[a] = en - st;
  });
  const g = x.graph;
  return g.add1('Slice', [x, g.int64s(s), g.int64s(e), g.int64s(ax)], shape, x.dtype);
}

/** Constant pad; `pads` is ONNX layout [begin_0 … begin_n, end_0 … end_n] (non-negative). */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  if (pads.length !== 2 * x.rank || pads.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new GraphError('LW_GRAPH_BAD_ARGUMENT', `Pad: need ${2 * x.rank} non-negative pads`, { pads });
  }
  const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + x.rank]!);
  const g = x.graph;
  return g.add1('Pad', [x, g.int64s(pads), g.scalar(value, x.dtype)], shape, x.dtype, { mode: attr.str('constant') });
}

export function expand(x: Tensor, shape: Shape): Tensor {
  const out = broadcastShapes('Expand', x.shape, shape);
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return x.graph.add1('Expand', [x, x.graph.int64s(out)], out, x.dtype);
}

/** Take slices along `axis` at int64 `indices` (embedding lookup when axis = 0). */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  if (indices.dtype !== 'int64') throw new GraphError('LW_GRAPH_DTYPE_MISMATCH', 'Gather: indices must be int64', {});
  const ax = normAxis('Gather', axis, x.rank);
  const shape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
  return x.graph.add1('Gather', [x, indices], shape, x.dtype, { axis: attr.int(ax) });
}

/** out[i][j] = x[i][idx[i][j]] (for axis 1): picks per-position elements, e.g. the top-k of another tensor. */
export function gatherElements(x: Tensor, indices: Tensor, axis: number): Tensor {
  const ax = normAxis('GatherElements', axis, x.rank);
  if (
    indices.dtype !== 'int64' ||
    indices.rank !== x.rank ||
    indices.shape.some((d, i) => i !== ax && d > x.shape[i]!)
  ) {
    throw new GraphError(
      'LW_GRAPH_SHAPE_MISMATCH',
      `GatherElements: indices ${indices.toString()} do not fit ${x.toString()}`,
      { axis: ax },
    );
  }
  return x.graph.add1('GatherElements', [x, indices], indices.shape, x.dtype, { axis: attr.int(ax) });
}

/** Adds `updates` into a copy of `data` at `indices` along `axis` (ScatterElements, reduction = add). */
export function scatterElementsAdd(data: Tensor, indices: Tensor, updates: Tensor, axis: number): Tensor {
  const ax = normAxis('ScatterElements', axis, data.rank);
  return data.graph.add1('ScatterElements', [data, indices, updates], data.shape, data.dtype, {
    axis: attr.int(ax),
    reduction: attr.str('add'),
  });
}

/** Variadic element-wise sum (same shapes); autodiff uses it to accumulate gradient contributions. */
export function sumAll(xs: readonly Tensor[]): Tensor {
  if (xs.length === 1) return xs[0]!;
  const first = xs[0]!;
  return first.graph.add1('Sum', xs, first.shape, first.dtype);
}
