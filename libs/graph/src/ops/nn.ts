/** Neural-network ops: softmax, layer norm, conv and pooling (frozen backbones), resize, top-k. */
import { GraphError } from '../errors.js';
import { attr, type Attr, type Tensor } from '../tensor.js';
import { normAxis, requireFloat, sameDtype } from './util.js';

export function softmax(x: Tensor, axis = -1): Tensor {
  requireFloat('Softmax', x);
  return x.graph.add1('Softmax', [x], x.shape, x.dtype, { axis: attr.int(normAxis('Softmax', axis, x.rank)) });
}

/**
 * ONNX LayerNormalization (opset 17) over axes [axis, rank). It also yields Mean and InvStdDev, which the backward
 * rule reuses instead of recomputing statistics; when unused, ORT drops them.
 */
export function layerNorm(
  x: Tensor,
  gamma: Tensor,
  beta?: Tensor,
  opts: { axis?: number; epsilon?: number } = {},
): Tensor {
  requireFloat('LayerNormalization', x);
  sameDtype('LayerNormalization', x, gamma);
  const ax = normAxis('LayerNormalization', opts.axis ?? -1, x.rank);
  const normShape = x.shape.slice(ax);
  for (const p of beta ? [gamma, beta] : [gamma]) {
    if (p.rank !== normShape.length || p.shape.some((d, i) => d !== normShape[i])) {
      throw new GraphError(
        'LW_GRAPH_SHAPE_MISMATCH',
        `LayerNormalization: ${p.toString()} must have shape [${normShape.join(',')}]`,
        {
          op: 'LayerNormalization',
        },
      );
    }
  }
  const statShape = x.shape.map((d, i) => (i < ax ? d : 1));
  const [y] = x.graph.addNode(
    'LayerNormalization',
    [x, gamma, beta ?? null],
    [
      { shape: x.shape, dtype: x.dtype },
      // ONNX fixes the statistics' type by stash_type (float), whatever x's dtype is.
      { shape: statShape, dtype: 'float32' },
      { shape: statShape, dtype: 'float32' },
    ],
    { axis: attr.int(ax), epsilon: attr.float(opts.epsilon ?? 1e-5) },
  );
  return y!;
}

export interface ConvOptions {
  readonly strides?: readonly [number, number];
  /** [top, left, bottom, right] as in ONNX. */
  readonly pads?: readonly [number, number, number, number];
  readonly dilations?: readonly [number, number];
  /** groups = channels gives a depthwise conv. */
  readonly group?: number;
}

/** 2-D conv, NCHW, weights [Cout, Cin/group, kh, kw]. Forward only: used by the frozen backbone. */
export function conv(x: Tensor, w: Tensor, b: Tensor | null, o: ConvOptions = {}): Tensor {
  requireFloat('Conv', x);
  sameDtype('Conv', x, w);
  if (x.rank !== 4 || w.rank !== 4)
    throw new GraphError('LW_GRAPH_SHAPE_MISMATCH', 'Conv: needs NCHW input and 4-D weights', {});
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [co, ci, kh, kw] = w.shape as [number, number, number, number];
  const group = o.group ?? 1;
  const [sh, sw] = o.strides ?? [1, 1];
  const [pt, pl, pb, pr] = o.pads ?? [0, 0, 0, 0];
  const [dh, dw] = o.dilations ?? [1, 1];
  if (c % group !== 0 || co % group !== 0 || ci * group !== c || (b && (b.rank !== 1 || b.shape[0] !== co))) {
    throw new GraphError(
      'LW_GRAPH_SHAPE_MISMATCH',
      `Conv: ${x.toString()} with weights ${w.toString()} and group ${group}`,
      {
        op: 'Conv',
      },
    );
  }
  const oh = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wd + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  if (oh < 1 || ow < 1) throw new GraphError('LW_GRAPH_SHAPE_MISMATCH', 'Conv: output would be empty', { oh, ow });
  return x.graph.add1('Conv', b ? [x, w, b] : [x, w], [n, co, oh, ow], x.dtype, {
    strides: attr.ints([sh, sw]),
    pads: attr.ints([pt, pl, pb, pr]),
    dilations: attr.ints([dh, dw]),
    group: attr.int(group),
    kernel_shape: attr.ints([kh, kw]),
  });
}

/** Bilinear resize of an NCHW tensor to [outH, outW]. Forward only (the backbone taps it is used on are frozen). */
export function resize(x: Tensor, size: readonly [number, number], opts: { alignCorners?: boolean } = {}): Tensor {
  requireFloat('Resize', x);
  if (x.rank !== 4) throw new GraphError('LW_GRAPH_SHAPE_MISMATCH', 'Resize: needs NCHW input', {});
  const g = x.graph;
  const sizes = [x.shape[0]!, x.shape[1]!, size[0], size[1]];
  return g.add1('Resize', [x, null, null, g.int64s(sizes)], sizes, x.dtype, {
    mode: attr.str('linear'),
    coordinate_transformation_mode: attr.str(opts.alignCorners ? 'align_corners' : 'half_pixel'),
  });
}

export interface TopK {
  readonly values: Tensor;
  /** int64 positions along `axis`; not differentiable. */
  readonly indices: Tensor;
}

/** k largest (or smallest) along an axis, sorted. Gradient flows to the picked positions via ScatterElements. */
export function topK(x: Tensor, k: number, opts: { axis?: number; largest?: boolean } = {}): TopK {
  requireFloat('TopK', x);
  const ax = normAxis('TopK', opts.axis ?? -1, x.rank);
  if (!Number.isInteger(k) || k < 1 || k > x.shape[ax]!) {
    throw new GraphError('LW_GRAPH_BAD_ARGUMENT', `TopK: k=${k} out of range for ${x.toString()} axis ${ax}`, { k });
  }
  const shape = x.shape.map((d, i) => (i === ax ? k : d));
  const [values, indices] = x.graph.addNode(
    'TopK',
    [x, x.graph.int64s([k])],
    [
      { shape, dtype: x.dtype },
      { shape, dtype: 'int64' },
    ],
    { axis: attr.int(ax), largest: attr.int(opts.largest === false ? 0 : 1), sorted: attr.int(1) },
  );
  return { values: values!, indices: indices! };
}

export interface PoolOptions {
  readonly kernel: readonly [number, number];
  readonly strides?: readonly [number, number];
  /** [top, left, bottom, right] as in ONNX. */
  readonly pads?: readonly [number, number, number, number];
}

function pool(op: 'MaxPool' | 'AveragePool', x: Tensor, o: PoolOptions, extra: Record<string, Attr>): Tensor {
  requireFloat(op, x);
  if (x.rank !== 4) throw new GraphError('LW_GRAPH_SHAPE_MISMATCH', `${op}: needs NCHW input`, {});
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [kh, kw] = o.kernel;
  const [sh, sw] = o.strides ?? [1, 1];
  const [pt, pl, pb, pr] = o.pads ?? [0, 0, 0, 0];
  const oh = Math.floor((h + pt + pb - kh) / sh) + 1;
  const ow = Math.floor((w + pl + pr - kw) / sw) + 1;
  if (oh < 1 || ow < 1) throw new GraphError('LW_GRAPH_SHAPE_MISMATCH', `${op}: output would be empty`, { oh, ow });
  return x.graph.add1(op, [x], [n, c, oh, ow], x.dtype, {
    kernel_shape: attr.ints([kh, kw]),
    strides: attr.ints([sh, sw]),
    pads: attr.ints([pt, pl, pb, pr]),
    ...extra,
  });
}

/** 2-D max pooling, NCHW. Forward only: used by frozen backbones (Inception-style stems and branches). */
export function maxPool(x: Tensor, o: PoolOptions): Tensor {
  return pool('MaxPool', x, o, {});
}

/**
 * 2-D average pooling, NCHW, forward only. Padded cells are left out of each window's count (Keras/TF "same"
 * semantics, ONNX count_include_pad = 0).
 */
export function averagePool(x: Tensor, o: PoolOptions): Tensor {
  return pool('AveragePool', x, o, { count_include_pad: attr.int(0) });
}
