/**
 * Turns a Keras MobileNetV2-style layer graph plus decoded weights into a small NCHW op plan for the ONNX graph:
 * convolutions with BatchNorm folded in (eval mode: y = γ(x−μ)/√(σ²+ε)+β becomes a per-channel scale on the kernel
 * and a bias), ZeroPadding2D folded into the next convolution's pads, ReLU(max 6) as a clip, Add as an add; and the
 * Inception-style layers: MaxPooling2D / AveragePooling2D as pools, channel Concatenate as a concat.
 * Only layers needed to compute the requested taps are kept, so heads and unused blocks cost nothing.
 */
import { BackboneError } from './errors.js';
import type { KerasGraph, KerasLayer } from './keras-topology.js';
import type { NamedTensor } from './keras-weights.js';

/** Shapes are [channels, height, width] (per image). */
export type PlanOp =
  | { kind: 'input'; name: string; shape: [number, number, number] }
  | {
      kind: 'conv';
      name: string;
      input: string;
      /** OIHW, O = out channels, I = in channels / group. */
      weight: Float32Array;
      weightShape: [number, number, number, number];
      bias: Float32Array;
      strides: [number, number];
      /** ONNX order: [top, left, bottom, right]. */
      pads: [number, number, number, number];
      group: number;
      shape: [number, number, number];
    }
  | { kind: 'clip'; name: string; input: string; min: number; max: number; shape: [number, number, number] }
  | { kind: 'add'; name: string; inputs: [string, string]; shape: [number, number, number] }
  | {
      kind: 'pool';
      name: string;
      input: string;
      mode: 'max' | 'average';
      kernel: [number, number];
      strides: [number, number];
      /** ONNX order: [top, left, bottom, right]; average pooling leaves padded cells out of the count. */
      pads: [number, number, number, number];
      shape: [number, number, number];
    }
  | { kind: 'concat'; name: string; inputs: string[]; shape: [number, number, number] };

export interface BackbonePlan {
  readonly inputName: string;
  readonly inputShape: [number, number, number];
  readonly ops: readonly PlanOp[];
  /** Requested taps in request order, each with its [C, H, W] shape and stride relative to the input. */
  readonly taps: readonly { name: string; shape: [number, number, number]; stride: number }[];
}

function num(v: unknown, what: string, layer: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new BackboneError('LW_BACKBONE_LAYER', `layer "${layer}" has no numeric ${what}`, { layer });
  }
  return v;
}

function pair(v: unknown, what: string, layer: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [num(v[0], what, layer), num(v[1], what, layer)];
  throw new BackboneError('LW_BACKBONE_LAYER', `layer "${layer}" has a bad ${what}`, { layer, value: v });
}

function weight(weights: Map<string, NamedTensor>, name: string): NamedTensor {
  const w = weights.get(name);
  if (!w) throw new BackboneError('LW_BACKBONE_WEIGHTS', `missing weight "${name}"`, { name });
  return w;
}

/** TF "same" padding: total = max((ceil(in/s)-1)*s + k - in, 0), the extra pixel goes bottom/right. */
function samePads(inSize: number, k: number, s: number): [number, number] {
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + k - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

interface ConvLayerInfo {
  kernel: Float32Array;
  shape: [number, number, number, number];
  group: number;
  bias: Float32Array;
}

/** Keras HWIO (or depthwise HW,C,M) → ONNX OIHW. */
function convKernel(layer: KerasLayer, weights: Map<string, NamedTensor>, inChannels: number): ConvLayerInfo {
  const depthwise = layer.className === 'DepthwiseConv2D';
  const kname = depthwise ? `${layer.name}/depthwise_kernel` : `${layer.name}/kernel`;
  const k = weight(weights, kname);
  const [kh, kw, cin, m] = k.shape as [number, number, number, number];
  if (k.shape.length !== 4 || cin !== inChannels) {
    throw new BackboneError('LW_BACKBONE_WEIGHTS', `kernel "${kname}" has shape [${k.shape}] for ${inChannels} inputs`);
  }
  const out = depthwise ? cin * m : m;
  const inPerGroup = depthwise ? 1 : cin;
  const oihw = new Float32Array(out * inPerGroup * kh * kw);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < cin; c++)
        for (let j = 0; j < m; j++) {
          const src = k.data[((y * kw + x) * cin + c) * m + j] as number;
          const o = depthwise ? c * m + j : j;
          const i = depthwise ? 0 : c;
          oihw[((o * inPerGroup + i) * kh + y) * kw + x] = src;
        }
  const useBias = layer.config['use_bias'] === true;
  const bias = useBias ? Float32Array.from(weight(weights, `${layer.name}/bias`).data) : new Float32Array(out);
  return { kernel: oihw, shape: [out, inPerGroup, kh, kw], group: depthwise ? cin : 1, bias };
}

function foldBatchNorm(
  conv: Extract<PlanOp, { kind: 'conv' }>,
  bn: KerasLayer,
  weights: Map<string, NamedTensor>,
): void {
  const eps = num(bn.config['epsilon'] ?? 1e-3, 'epsilon', bn.name);
  const out = conv.weightShape[0];
  const per = conv.weight.length / out;
  const gamma = bn.config['scale'] === false ? undefined : weight(weights, `${bn.name}/gamma`).data;
  const beta = bn.config['center'] === false ? undefined : weight(weights, `${bn.name}/beta`).data;
  const mean = weight(weights, `${bn.name}/moving_mean`).data;
  const variance = weight(weights, `${bn.name}/moving_variance`).data;
  if (mean.length !== out || variance.length !== out) {
    throw new BackboneError(
      'LW_BACKBONE_WEIGHTS',
      `BatchNorm "${bn.name}" has ${mean.length} channels, conv has ${out}`,
    );
  }
  for (let o = 0; o < out; o++) {
    const s = (gamma ? (gamma[o] as number) : 1) / Math.sqrt((variance[o] as number) + eps);
    for (let i = 0; i < per; i++) conv.weight[o * per + i] = (conv.weight[o * per + i] as number) * s;
    conv.bias[o] = ((conv.bias[o] as number) - (mean[o] as number)) * s + (beta ? (beta[o] as number) : 0);
  }
}

type Shape = [number, number, number];

/** Planning state, threaded through the per-layer steps in graph order. */
interface PlanState {
  readonly weights: Map<string, NamedTensor>;
  /** The input size built for, [height, width]. */
  readonly size: readonly [number, number];
  readonly ops: PlanOp[];
  readonly shapes: Map<string, Shape>;
  /** Keras layer name → the plan op name that holds its value (BN and padding layers alias their producer). */
  readonly alias: Map<string, string>;
  readonly pendingPads: Map<string, [number, number, number, number]>;
  inputName: string;
}

/** A layer's first input as the plan sees it: the op that holds its value, and that value's shape. */
interface LayerInput {
  readonly src: string | undefined;
  readonly inShape: Shape | undefined;
}

/** Names of the layers the taps depend on (heads and unused blocks are left out). */
function neededLayers(byName: ReadonlyMap<string, KerasLayer>, tapNames: readonly string[]): Set<string> {
  const needed = new Set<string>();
  const visit = (name: string): void => {
    if (needed.has(name)) return;
    needed.add(name);
    for (const src of byName.get(name)?.inbound ?? []) visit(src);
  };
  tapNames.forEach(visit);
  return needed;
}

function planZeroPadding(st: PlanState, layer: KerasLayer, { src, inShape }: LayerInput): void {
  const p = layer.config['padding'];
  const [[top, bottom], [left, right]] =
    Array.isArray(p) && Array.isArray(p[0])
      ? (p as [[number, number], [number, number]])
      : [pair(p, 'padding', layer.name), pair(p, 'padding', layer.name)];
  if (!src || !inShape) throw new BackboneError('LW_BACKBONE_FORMAT', `"${layer.name}" has no input`);
  st.alias.set(layer.name, src);
  st.pendingPads.set(layer.name, [top, left, bottom, right]);
  st.shapes.set(layer.name, [inShape[0], inShape[1] + top + bottom, inShape[2] + left + right]);
}

function planConv(st: PlanState, layer: KerasLayer, { src, inShape }: LayerInput): void {
  if (!src || !inShape) throw new BackboneError('LW_BACKBONE_FORMAT', `"${layer.name}" has no input`);
  const rawIn = layer.inbound[0] as string;
  const padded = st.shapes.get(rawIn) ?? inShape;
  const extra = st.pendingPads.get(rawIn) ?? [0, 0, 0, 0];
  const [kh, kw] = pair(layer.config['kernel_size'], 'kernel_size', layer.name);
  const [sh, sw] = pair(layer.config['strides'] ?? 1, 'strides', layer.name);
  const [dh, dw] = pair(layer.config['dilation_rate'] ?? 1, 'dilation_rate', layer.name);
  if (dh !== 1 || dw !== 1) throw new BackboneError('LW_BACKBONE_LAYER', `dilated conv "${layer.name}" unsupported`);
  const act = layer.config['activation'];
  if (act !== undefined && act !== 'linear') {
    throw new BackboneError('LW_BACKBONE_LAYER', `conv "${layer.name}" has fused activation ${String(act)}`);
  }
  const same = layer.config['padding'] === 'same';
  const [pt, pb] = same ? samePads(padded[1], kh, sh) : [0, 0];
  const [pl, pr] = same ? samePads(padded[2], kw, sw) : [0, 0];
  const pads: [number, number, number, number] = [extra[0] + pt, extra[1] + pl, extra[2] + pb, extra[3] + pr];
  const info = convKernel(layer, st.weights, inShape[0]);
  const outH = Math.floor((inShape[1] + pads[0] + pads[2] - kh) / sh) + 1;
  const outW = Math.floor((inShape[2] + pads[1] + pads[3] - kw) / sw) + 1;
  if (outH < 1 || outW < 1) {
    throw new BackboneError(
      'LW_BACKBONE_CONFIG',
      `input ${st.size[0]}x${st.size[1]} is too small: "${layer.name}" would be empty`,
    );
  }
  const shape: Shape = [info.shape[0], outH, outW];
  st.ops.push({
    kind: 'conv',
    name: layer.name,
    input: src,
    weight: info.kernel,
    weightShape: info.shape,
    bias: info.bias,
    strides: [sh, sw],
    pads,
    group: info.group,
    shape,
  });
  st.shapes.set(layer.name, shape);
}

function planBatchNorm(st: PlanState, layer: KerasLayer, { src }: LayerInput): void {
  const producer = st.ops.find((o) => o.name === src);
  if (!producer || producer.kind !== 'conv') {
    throw new BackboneError('LW_BACKBONE_LAYER', `BatchNorm "${layer.name}" does not follow a convolution`);
  }
  foldBatchNorm(producer, layer, st.weights);
  st.alias.set(layer.name, producer.name);
  st.shapes.set(layer.name, producer.shape);
}

function planActivation(st: PlanState, layer: KerasLayer, { src, inShape }: LayerInput): void {
  if (!src || !inShape) throw new BackboneError('LW_BACKBONE_FORMAT', `"${layer.name}" has no input`);
  const isRelu = layer.className === 'ReLU' || layer.config['activation'] === 'relu';
  const slope = layer.config['negative_slope'];
  const threshold = layer.config['threshold'];
  if (!isRelu || (slope !== undefined && slope !== 0) || (threshold !== undefined && threshold !== 0)) {
    throw new BackboneError('LW_BACKBONE_LAYER', `activation "${layer.name}" is not a plain (capped) ReLU`);
  }
  const max = typeof layer.config['max_value'] === 'number' ? (layer.config['max_value'] as number) : Infinity;
  st.ops.push({ kind: 'clip', name: layer.name, input: src, min: 0, max, shape: inShape });
  st.shapes.set(layer.name, inShape);
}

function planAdd(st: PlanState, layer: KerasLayer): void {
  const [a, b] = layer.inbound.map((n) => st.alias.get(n) ?? n);
  if (layer.inbound.length !== 2 || a === undefined || b === undefined) {
    throw new BackboneError('LW_BACKBONE_LAYER', `Add "${layer.name}" must have exactly two inputs`);
  }
  const shape = st.shapes.get(a) as Shape;
  st.ops.push({ kind: 'add', name: layer.name, inputs: [a, b], shape });
  st.shapes.set(layer.name, shape);
}

function planPool(st: PlanState, layer: KerasLayer, { src, inShape }: LayerInput): void {
  if (!src || !inShape) throw new BackboneError('LW_BACKBONE_FORMAT', `"${layer.name}" has no input`);
  const kernel = pair(layer.config['pool_size'] ?? 2, 'pool_size', layer.name);
  const strides = pair(layer.config['strides'] ?? kernel, 'strides', layer.name);
  const same = layer.config['padding'] === 'same';
  const [pt, pb] = same ? samePads(inShape[1], kernel[0], strides[0]) : [0, 0];
  const [pl, pr] = same ? samePads(inShape[2], kernel[1], strides[1]) : [0, 0];
  const outH = Math.floor((inShape[1] + pt + pb - kernel[0]) / strides[0]) + 1;
  const outW = Math.floor((inShape[2] + pl + pr - kernel[1]) / strides[1]) + 1;
  if (outH < 1 || outW < 1) {
    throw new BackboneError(
      'LW_BACKBONE_CONFIG',
      `input ${st.size[0]}x${st.size[1]} is too small: "${layer.name}" would be empty`,
    );
  }
  const shape: Shape = [inShape[0], outH, outW];
  const mode = layer.className === 'MaxPooling2D' ? 'max' : 'average';
  st.ops.push({ kind: 'pool', name: layer.name, input: src, mode, kernel, strides, pads: [pt, pl, pb, pr], shape });
  st.shapes.set(layer.name, shape);
}

/** Keras concatenates on the channel axis (-1 or 3 in NHWC); anything else is not a feature-map concat. */
function planConcat(st: PlanState, layer: KerasLayer): void {
  const axis = layer.config['axis'] ?? -1;
  const inputs = layer.inbound.map((n) => st.alias.get(n) ?? n);
  const shapes = inputs.map((n) => st.shapes.get(n));
  const first = shapes[0];
  if ((axis !== -1 && axis !== 3) || !first || shapes.some((s) => !s || s[1] !== first[1] || s[2] !== first[2])) {
    throw new BackboneError('LW_BACKBONE_LAYER', `Concatenate "${layer.name}" is not a channel concat of equal maps`);
  }
  const shape: Shape = [shapes.reduce((c, s) => c + (s as Shape)[0], 0), first[1], first[2]];
  st.ops.push({ kind: 'concat', name: layer.name, inputs, shape });
  st.shapes.set(layer.name, shape);
}

function planLayer(st: PlanState, layer: KerasLayer, channels: number): void {
  const src = layer.inbound[0] !== undefined ? (st.alias.get(layer.inbound[0]) ?? layer.inbound[0]) : undefined;
  const input: LayerInput = { src, inShape: src !== undefined ? st.shapes.get(src) : undefined };
  switch (layer.className) {
    case 'InputLayer': {
      st.inputName = layer.name;
      const shape: Shape = [channels, st.size[0], st.size[1]];
      st.ops.push({ kind: 'input', name: layer.name, shape });
      st.shapes.set(layer.name, shape);
      return;
    }
    case 'ZeroPadding2D':
      return planZeroPadding(st, layer, input);
    case 'Conv2D':
    case 'DepthwiseConv2D':
      return planConv(st, layer, input);
    case 'BatchNormalization':
      return planBatchNorm(st, layer, input);
    case 'ReLU':
    case 'Activation':
      return planActivation(st, layer, input);
    case 'Add':
      return planAdd(st, layer);
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return planPool(st, layer, input);
    case 'Concatenate':
      return planConcat(st, layer);
    default:
      throw new BackboneError('LW_BACKBONE_LAYER', `layer type ${layer.className} ("${layer.name}") is not supported`, {
        layer: layer.name,
        className: layer.className,
      });
  }
}

/**
 * @param inputSize [height, width] to build for; defaults to the Keras model's declared input. Convolutions are
 *   size-agnostic, so any size works as long as every stage stays at least one pixel.
 */
export function buildBackbonePlan(
  graph: KerasGraph,
  weights: Map<string, NamedTensor>,
  tapNames: readonly string[],
  inputSize?: readonly [number, number],
): BackbonePlan {
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  for (const t of tapNames) {
    if (!byName.has(t)) {
      throw new BackboneError('LW_BACKBONE_TAP', `no layer named "${t}" in ${graph.name}`, { tap: t });
    }
  }
  const needed = neededLayers(byName, tapNames);
  const [h0, w0] = inputSize ?? [graph.inputShape[0], graph.inputShape[1]];
  const c0 = graph.inputShape[2];
  const st: PlanState = {
    weights,
    size: [h0, w0],
    ops: [],
    shapes: new Map(),
    alias: new Map(),
    pendingPads: new Map(),
    inputName: 'input',
  };
  for (const layer of graph.layers) if (needed.has(layer.name)) planLayer(st, layer, c0);
  const taps = tapNames.map((t) => {
    const name = st.alias.get(t) ?? t;
    const shape = st.shapes.get(name) as Shape;
    return { name, shape, stride: h0 / shape[1] };
  });
  return { inputName: st.inputName, inputShape: [c0, h0, w0], ops: st.ops, taps };
}
