/**
 * Turns a Keras MobileNetV2-style layer graph plus decoded weights into a small NCHW op plan for the ONNX graph:
 * convolutions with BatchNorm folded in (eval mode: y = γ(x−μ)/√(σ²+ε)+β becomes a per-channel scale on the kernel
 * and a bias), ZeroPadding2D folded into the next convolution's pads, ReLU(max 6) as a clip, Add as an add.
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
  | { kind: 'add'; name: string; inputs: [string, string]; shape: [number, number, number] };

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

function foldBatchNorm(conv: Extract<PlanOp, { kind: 'conv' }>, bn: KerasLayer, weights: Map<string, NamedTensor>): void {
  const eps = num(bn.config['epsilon'] ?? 1e-3, 'epsilon', bn.name);
  const out = conv.weightShape[0];
  const per = conv.weight.length / out;
  const gamma = bn.config['scale'] === false ? undefined : weight(weights, `${bn.name}/gamma`).data;
  const beta = bn.config['center'] === false ? undefined : weight(weights, `${bn.name}/beta`).data;
  const mean = weight(weights, `${bn.name}/moving_mean`).data;
  const variance = weight(weights, `${bn.name}/moving_variance`).data;
  if (mean.length !== out || variance.length !== out) {
    throw new BackboneError('LW_BACKBONE_WEIGHTS', `BatchNorm "${bn.name}" has ${mean.length} channels, conv has ${out}`);
  }
  for (let o = 0; o < out; o++) {
    const s = (gamma ? (gamma[o] as number) : 1) / Math.sqrt((variance[o] as number) + eps);
    for (let i = 0; i < per; i++) conv.weight[o * per + i] = (conv.weight[o * per + i] as number) * s;
    conv.bias[o] = ((conv.bias[o] as number) - (mean[o] as number)) * s + (beta ? (beta[o] as number) : 0);
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
  // Keep only what the taps need.
  const needed = new Set<string>();
  const visit = (name: string): void => {
    if (needed.has(name)) return;
    needed.add(name);
    for (const src of byName.get(name)?.inbound ?? []) visit(src);
  };
  tapNames.forEach(visit);

  const [h0, w0] = inputSize ?? [graph.inputShape[0], graph.inputShape[1]];
  const c0 = graph.inputShape[2];
  const ops: PlanOp[] = [];
  const shapes = new Map<string, [number, number, number]>();
  /** Keras layer name → the plan op name that holds its value (BN and padding layers alias their producer). */
  const alias = new Map<string, string>();
  const pendingPads = new Map<string, [number, number, number, number]>();
  let inputName = 'input';

  for (const layer of graph.layers) {
    if (!needed.has(layer.name)) continue;
    const src = layer.inbound[0] !== undefined ? (alias.get(layer.inbound[0]) ?? layer.inbound[0]) : undefined;
    const inShape = src !== undefined ? shapes.get(src) : undefined;
    switch (layer.className) {
      case 'InputLayer': {
        inputName = layer.name;
        const shape: [number, number, number] = [c0, h0, w0];
        ops.push({ kind: 'input', name: layer.name, shape });
        shapes.set(layer.name, shape);
        break;
      }
      case 'ZeroPadding2D': {
        const p = layer.config['padding'];
        const [[top, bottom], [left, right]] = Array.isArray(p) && Array.isArray(p[0])
          ? (p as [[number, number], [number, number]])
          : [pair(p, 'padding', layer.name), pair(p, 'padding', layer.name)];
        if (!src || !inShape) throw new BackboneError('LW_BACKBONE_FORMAT', `"${layer.name}" has no input`);
        alias.set(layer.name, src);
        pendingPads.set(layer.name, [top, left, bottom, right]);
        shapes.set(layer.name, [inShape[0], inShape[1] + top + bottom, inShape[2] + left + right]);
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        if (!src || !inShape) throw new BackboneError('LW_BACKBONE_FORMAT', `"${layer.name}" has no input`);
        const rawIn = layer.inbound[0] as string;
        const padded = shapes.get(rawIn) ?? inShape;
        const extra = pendingPads.get(rawIn) ?? [0, 0, 0, 0];
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
        const info = convKernel(layer, weights, inShape[0]);
        const outH = Math.floor((inShape[1] + pads[0] + pads[2] - kh) / sh) + 1;
        const outW = Math.floor((inShape[2] + pads[1] + pads[3] - kw) / sw) + 1;
        if (outH < 1 || outW < 1) {
          throw new BackboneError('LW_BACKBONE_CONFIG', `input ${h0}x${w0} is too small: "${layer.name}" would be empty`);
        }
        const shape: [number, number, number] = [info.shape[0], outH, outW];
        ops.push({ kind: 'conv', name: layer.name, input: src, weight: info.kernel, weightShape: info.shape, bias: info.bias,
          strides: [sh, sw], pads, group: info.group, shape });
        shapes.set(layer.name, shape);
        break;
      }
      case 'BatchNormalization': {
        const producer = ops.find((o) => o.name === src);
        if (!producer || producer.kind !== 'conv') {
          throw new BackboneError('LW_BACKBONE_LAYER', `BatchNorm "${layer.name}" does not follow a convolution`);
        }
        foldBatchNorm(producer, layer, weights);
        alias.set(layer.name, producer.name);
        shapes.set(layer.name, producer.shape);
        break;
      }
      case 'ReLU':
      case 'Activation': {
        if (!src || !inShape) throw new BackboneError('LW_BACKBONE_FORMAT', `"${layer.name}" has no input`);
        const isRelu = layer.className === 'ReLU' || layer.config['activation'] === 'relu';
        const slope = layer.config['negative_slope'];
        const threshold = layer.config['threshold'];
        if (!isRelu || (slope !== undefined && slope !== 0) || (threshold !== undefined && threshold !== 0)) {
          throw new BackboneError('LW_BACKBONE_LAYER', `activation "${layer.name}" is not a plain (capped) ReLU`);
        }
        const max = typeof layer.config['max_value'] === 'number' ? (layer.config['max_value'] as number) : Infinity;
        ops.push({ kind: 'clip', name: layer.name, input: src, min: 0, max, shape: inShape });
        shapes.set(layer.name, inShape);
        break;
      }
      case 'Add': {
        const [a, b] = layer.inbound.map((n) => alias.get(n) ?? n);
        if (layer.inbound.length !== 2 || a === undefined || b === undefined) {
          throw new BackboneError('LW_BACKBONE_LAYER', `Add "${layer.name}" must have exactly two inputs`);
        }
        const shape = shapes.get(a) as [number, number, number];
        ops.push({ kind: 'add', name: layer.name, inputs: [a, b], shape });
        shapes.set(layer.name, shape);
        break;
      }
      default:
        throw new BackboneError('LW_BACKBONE_LAYER', `layer type ${layer.className} ("${layer.name}") is not supported`, {
          layer: layer.name,
          className: layer.className,
        });
    }
  }
  const taps = tapNames.map((t) => {
    const name = alias.get(t) ?? t;
    const shape = shapes.get(name) as [number, number, number];
    return { name, shape, stride: h0 / shape[1] };
  });
  return { inputName, inputShape: [c0, h0, w0], ops, taps };
}
