/**
 * Reading a user-supplied ONNX backbone at the protobuf level (the same `onnx-proto` encoder @linewatch/graph writes
 * with): decode with coded errors, check it against its manifest (input, opset, taps), and re-encode it with the
 * feature taps as its only outputs for feature extraction. Nothing here runs the model.
 */
import onnxProto from 'onnx-proto';
import { BackboneError } from './errors.js';
import type { BackboneManifest } from './onnx-manifest.js';

export const { onnx } = onnxProto;
export type ModelProto = InstanceType<typeof onnx.ModelProto>;
export type IGraphProto = NonNullable<ConstructorParameters<typeof onnx.GraphProto>[0]>;
export type INodeProto = NonNullable<ConstructorParameters<typeof onnx.NodeProto>[0]>;
export type IValueInfoProto = NonNullable<ConstructorParameters<typeof onnx.ValueInfoProto>[0]>;
export type ITensorProto = NonNullable<ConstructorParameters<typeof onnx.TensorProto>[0]>;

/** The oldest ai.onnx opset whose ops keep their meaning up to 17 (13 moved Softmax/Squeeze/Split/ReduceSum axes). */
export const MIN_BACKBONE_OPSET = 13;
const FLOAT = 1;
const EXTERNAL = 1;

/** protobufjs gives int64 fields as `Long` when the `long` package is present, numbers otherwise. */
export function toNum(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export function decodeOnnx(bytes: Uint8Array, source: string): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    // protobufjs throws RangeError/Error on truncated or non-protobuf bytes.
    throw new BackboneError(
      'LW_BACKBONE_ONNX',
      `${source} is not an ONNX model (${(err as Error).message})`,
      { source },
      { cause: err },
    );
  }
  // Random bytes sometimes decode as a sparse, graph-less message: a real model has a graph, nodes and an opset.
  if (
    !model.graph ||
    (model.graph.node ?? []).length === 0 ||
    (model.opsetImport ?? []).length === 0 ||
    toNum(model.irVersion) < 3
  ) {
    throw new BackboneError('LW_BACKBONE_ONNX', `${source} is not an ONNX model (no graph, nodes or opset)`, {
      source,
    });
  }
  return model;
}

/** The ai.onnx opset ('' or 'ai.onnx' domain) the model imports. */
export function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? toNum(entry.version) : 0;
}

function allNodes(graph: IGraphProto, out: INodeProto[] = []): INodeProto[] {
  for (const n of graph.node ?? []) {
    out.push(n);
    for (const a of n.attribute ?? []) {
      if (a.g) allNodes(a.g, out);
      for (const g of a.graphs ?? []) allNodes(g, out);
    }
  }
  return out;
}

export interface CheckedBackbone {
  /** The real input (not an initializer listed as input, as IR < 4 exporters do). */
  readonly input: IValueInfoProto;
  readonly opset: number;
}

/**
 * Checks what can be checked without running: external data, opset, the image input (name, float, 3 channels,
 * manifest size where the model fixes it), and that every tap names a tensor the main graph computes.
 */
export function checkBackboneModel(model: ModelProto, m: BackboneManifest, source: string): CheckedBackbone {
  const graph = model.graph as IGraphProto;
  const opset = checkFormat(model, graph, source);
  const input = checkImageInput(graph, m, source);
  checkTaps(graph, m, source);
  return { input, opset };
}

/** One file, a recent enough opset, and no op whose meaning changed below the merged graph's opset. */
function checkFormat(model: ModelProto, graph: IGraphProto, source: string): number {
  const external = (graph.initializer ?? []).find((t) => t.dataLocation === EXTERNAL);
  if (external) {
    throw new BackboneError(
      'LW_BACKBONE_ONNX',
      `${source} keeps initializer "${external.name}" in external data; save it as one file`,
      { source },
    );
  }
  const opset = defaultOpset(model);
  if (opset < MIN_BACKBONE_OPSET) {
    throw new BackboneError(
      'LW_BACKBONE_OPSET',
      `${source} uses ai.onnx opset ${opset}; re-export it at opset ${MIN_BACKBONE_OPSET} or newer`,
      { source, opset },
    );
  }
  // RoiAlign changed its default coordinate mode at 16: the merged graph (opset ≥ 17) would change its meaning.
  if (opset < 16 && allNodes(graph).some((n) => n.opType === 'RoiAlign' && !n.domain)) {
    throw new BackboneError(
      'LW_BACKBONE_OPSET',
      `${source} uses RoiAlign at opset ${opset}; re-export it at opset 16 or newer`,
      { source, opset },
    );
  }
  return opset;
}

/** The single float32 NCHW image input the manifest names, at the manifest's size where the model fixes it. */
function checkImageInput(graph: IGraphProto, m: BackboneManifest, source: string): IValueInfoProto {
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (graph.input ?? []).filter((i) => !initNames.has(i.name ?? ''));
  const input = inputs.find((i) => i.name === m.inputName);
  if (!input) {
    throw new BackboneError(
      'LW_BACKBONE_INPUT',
      `${source} has no input "${m.inputName}" (inputs: ${inputs.map((i) => i.name).join(', ') || 'none'})`,
      {
        source,
        inputName: m.inputName,
        inputs: inputs.map((i) => i.name ?? ''),
      },
    );
  }
  if (inputs.length !== 1) {
    throw new BackboneError(
      'LW_BACKBONE_INPUT',
      `${source} needs ${inputs.length} inputs; a backbone takes only the image`,
      {
        source,
        inputs: inputs.map((i) => i.name ?? ''),
      },
    );
  }
  const tt = input.type?.tensorType;
  if (!tt || tt.elemType !== FLOAT) {
    throw new BackboneError('LW_BACKBONE_INPUT', `${source} input "${m.inputName}" must be a float32 tensor`, {
      source,
      elemType: tt?.elemType,
    });
  }
  const dims = tt.shape?.dim;
  if (dims) {
    const fixed = dims.map((d) =>
      d.dimValue !== null && d.dimValue !== undefined && toNum(d.dimValue) > 0 ? toNum(d.dimValue) : null,
    );
    const want = [null, 3, m.inputSize[0], m.inputSize[1]];
    const bad =
      fixed.length !== 4 ||
      fixed.some((d, i) => i > 0 && d !== null && d !== want[i]) ||
      (fixed[0] !== null && fixed[0] !== 1);
    if (bad) {
      throw new BackboneError(
        'LW_BACKBONE_INPUT',
        `${source} input "${m.inputName}" is [${fixed.map((d) => d ?? '?').join(',')}], the manifest needs [1,3,${m.inputSize.join(',')}] (NCHW)`,
        {
          source,
          dims: fixed,
          inputSize: [...m.inputSize],
        },
      );
    }
  }
  return input;
}

/** Every tap names a tensor the main graph computes. */
function checkTaps(graph: IGraphProto, m: BackboneManifest, source: string): void {
  const produced = new Set<string>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) if (o) produced.add(o);
  for (const f of m.features) {
    if (!produced.has(f.output)) {
      throw new BackboneError(
        'LW_BACKBONE_TAP',
        `${source} computes no tensor "${f.output}" (a feature in the manifest)`,
        { source, output: f.output },
      );
    }
  }
}

/**
 * The user's model with the taps as its outputs (in manifest order), for feature extraction. Output types come from
 * the model's own outputs/value_info when present; otherwise float32 of unknown shape (ORT infers the rest).
 */
export function tapModelBytes(model: ModelProto, m: BackboneManifest): Uint8Array {
  const graph = model.graph as IGraphProto;
  const known = new Map<string, IValueInfoProto>();
  for (const v of [...(graph.valueInfo ?? []), ...(graph.output ?? [])]) if (v.name) known.set(v.name, v);
  const outputs = m.features.map(
    (f) => known.get(f.output) ?? { name: f.output, type: { tensorType: { elemType: FLOAT } } },
  );
  const copy = onnx.ModelProto.create({ ...model, graph: { ...graph, output: outputs } });
  return onnx.ModelProto.encode(copy).finish();
}
