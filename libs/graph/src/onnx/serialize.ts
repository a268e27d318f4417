/**
 * Graph → ONNX ModelProto bytes. Each export prunes the node list to what its outputs need, so the same builder
 * graph yields the training model (params as inputs, updates as outputs) and the inference model (params baked in
 * as initializers) with identical forward nodes — that is where training/inference parity comes from.
 */
import onnxProto from 'onnx-proto';
import type { Graph } from '../builder.js';
import { GraphError } from '../errors.js';
import type { Attr, DType, NodeDef, TensorData } from '../tensor.js';
import type { Tensor } from '../tensor.js';

const { onnx } = onnxProto;
type P = typeof onnxProto.onnx;
type ITensorProto = ConstructorParameters<P['TensorProto']>[0] & object;
type IValueInfoProto = ConstructorParameters<P['ValueInfoProto']>[0] & object;
type IAttributeProto = ConstructorParameters<P['AttributeProto']>[0] & object;
type INodeProto = ConstructorParameters<P['NodeProto']>[0] & object;

export const OPSET = 17;
const IR_VERSION = 8;

const ELEM: Record<DType, number> = { float32: 1, float64: 11, int64: 7, int32: 6, bool: 9 };

/** Ops that exist only in the builder and are written as standard ONNX. */
const OP_ALIASES: Record<string, string> = { StopGradient: 'Identity' };

export interface ExportSpec {
  readonly graph: Graph;
  /** Graph output name → tensor. Output names are what ORT callers see. */
  readonly outputs: Readonly<Record<string, Tensor>>;
  /** Training graphs take params as inputs (updated each step); inference graphs bake them in. */
  readonly paramsAs: 'inputs' | 'initializers';
  /** Current parameter values for `paramsAs: 'initializers'`. */
  readonly paramValue?: (name: string) => TensorData;
  readonly modelName?: string;
  /** Keep these inputs even if no output needs them (stable signatures). */
  readonly keepInputs?: readonly Tensor[];
}

export interface ExportedModel {
  readonly bytes: Uint8Array;
  /** Graph inputs in order (name, tensor). */
  readonly inputs: readonly Tensor[];
  readonly nodeCount: number;
}

function tensorProto(name: string, dtype: DType, shape: readonly number[], data: TensorData): ITensorProto {
  return {
    name,
    dataType: ELEM[dtype],
    dims: [...shape],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function valueInfo(name: string, t: Tensor): IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ELEM[t.dtype], shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } },
  };
}

function attrProto(name: string, a: Attr): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.t) {
    case 'i':
      return { name, type: T.INT, i: a.v };
    case 'f':
      return { name, type: T.FLOAT, f: a.v };
    case 'is':
      return { name, type: T.INTS, ints: [...a.v] };
    case 'fs':
      return { name, type: T.FLOATS, floats: [...a.v] };
    case 's':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.v) };
  }
}

/** Nodes needed for `targets`, in creation (= topological) order. */
export function neededNodes(targets: readonly Tensor[]): NodeDef[] {
  const seen = new Set<NodeDef>();
  const stack = targets.map((t) => t.producer).filter((n): n is NodeDef => n !== null);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const i of n.inputs) if (i?.producer && !seen.has(i.producer)) stack.push(i.producer);
  }
  return [...seen].sort((a, b) => a.index - b.index);
}

/** An output of the export: its graph output name and tensor. */
type OutEntry = readonly [name: string, tensor: Tensor];

/** Leaves the pruned graph reads (inputs, params, constants), plus leaf outputs and the inputs kept on purpose. */
function leavesOf(nodes: readonly NodeDef[], outEntries: readonly OutEntry[], keep: readonly Tensor[]): Set<Tensor> {
  const leaves = new Set<Tensor>();
  for (const n of nodes) for (const i of n.inputs) if (i && i.kind !== 'node') leaves.add(i);
  for (const [, t] of outEntries) if (t.kind !== 'node') leaves.add(t);
  for (const t of keep) leaves.add(t);
  return leaves;
}

/**
 * Output names become the producers' output names (no Identity copies) unless the tensor is a leaf or is exported
 * twice. Throws on a name listed twice, a tensor of another graph, or an output name that an input already has.
 */
function nameOutputs(spec: ExportSpec, outEntries: readonly OutEntry[], leaves: ReadonlySet<Tensor>) {
  const rename = new Map<Tensor, string>();
  const identities: INodeProto[] = [];
  const taken = new Set<string>();
  for (const [name, t] of outEntries) {
    if (taken.has(name)) throw new GraphError('LW_GRAPH_DUPLICATE_NAME', `output '${name}' listed twice`, { name });
    taken.add(name);
    if (t.graph !== spec.graph)
      throw new GraphError('LW_GRAPH_FOREIGN_TENSOR', `output '${name}' belongs to another graph`, { name });
    if (t.kind === 'node' && !rename.has(t)) rename.set(t, name);
    else if (name !== t.name)
      identities.push({ opType: 'Identity', name: `out:${name}`, input: [rename.get(t) ?? t.name], output: [name] });
  }
  for (const leaf of leaves) {
    if (taken.has(leaf.name) && spec.outputs[leaf.name] !== leaf) {
      throw new GraphError('LW_GRAPH_DUPLICATE_NAME', `output name '${leaf.name}' collides with an input`, {
        name: leaf.name,
      });
    }
  }
  return { rename, identities };
}

/** Leaves in name order: graph inputs (inputs, and params of a training graph), the rest as initializers. */
function inputsAndInitializers(spec: ExportSpec, leaves: ReadonlySet<Tensor>) {
  const inputs: Tensor[] = [];
  const initializers: ITensorProto[] = [];
  const ordered = [...leaves].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const t of ordered) {
    if (t.kind === 'input' || (t.kind === 'param' && spec.paramsAs === 'inputs')) inputs.push(t);
    else if (t.kind === 'param') {
      const data = spec.paramValue?.(t.name);
      if (!data) throw new GraphError('LW_GRAPH_UNKNOWN_NAME', `no value for parameter '${t.name}'`, { name: t.name });
      initializers.push(tensorProto(t.name, t.dtype, t.shape, data));
    } else {
      const c = spec.graph.constants.get(t.name);
      if (!c) throw new GraphError('LW_GRAPH_UNKNOWN_NAME', `constant '${t.name}' is not registered`, { name: t.name });
      initializers.push(tensorProto(t.name, t.dtype, t.shape, c.data));
    }
  }
  return { inputs, initializers };
}

export function exportModel(spec: ExportSpec): ExportedModel {
  const outEntries = Object.entries(spec.outputs);
  const nodes = neededNodes(outEntries.map(([, t]) => t));
  const leaves = leavesOf(nodes, outEntries, spec.keepInputs ?? []);
  const { rename, identities } = nameOutputs(spec, outEntries, leaves);
  const nameOf = (t: Tensor | null): string => (t ? (rename.get(t) ?? t.name) : '');
  const { inputs, initializers } = inputsAndInitializers(spec, leaves);

  const nodeProtos: INodeProto[] = nodes.map((n) => ({
    opType: OP_ALIASES[n.op] ?? n.op,
    name: n.name,
    input: trimTrailingEmpty(n.inputs.map(nameOf)),
    output: n.outputs.map(nameOf),
    attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
  }));
  nodeProtos.push(...identities);

  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'linewatch-graph',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: spec.modelName ?? 'graph',
      node: nodeProtos,
      initializer: initializers,
      input: inputs.map((t) => valueInfo(t.name, t)),
      output: outEntries.map(([name, t]) => valueInfo(name, t)),
    },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), inputs, nodeCount: nodeProtos.length };
}

function trimTrailingEmpty(names: string[]): string[] {
  let end = names.length;
  while (end > 0 && names[end - 1] === '') end--;
  return names.slice(0, end);
}
