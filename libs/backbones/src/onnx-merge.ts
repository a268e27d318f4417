/**
 * One deployed graph from two ModelProtos: the user's backbone (every node, initializer and value_info, names
 * prefixed so nothing can collide with ours, its image input renamed to ours) followed by our head graph, whose tap
 * inputs are rewired to the backbone's tapped tensors. The result keeps our single input and our outputs, so agents
 * run it like any other package model.
 */
import { BackboneError } from './errors.js';
import { defaultOpset, onnx, toNum, type IGraphProto, type INodeProto, type ModelProto } from './onnx-model.js';

export const BACKBONE_PREFIX = 'user_backbone/';

type Rename = (name: string) => string;
type IAttr = NonNullable<INodeProto['attribute']>[number];

/** Renames every tensor and node name in a graph and its subgraphs ('' stays '': an absent optional input). */
function renameGraph(g: IGraphProto, rn: Rename): IGraphProto {
  const v = (name: string | null | undefined): string => (name ? rn(name) : '');
  const info = (list: IGraphProto['input']) => (list ?? []).map((i) => ({ ...i, name: v(i.name) }));
  return {
    ...g,
    node: (g.node ?? []).map((n) => renameNode(n, rn)),
    initializer: (g.initializer ?? []).map((t) => ({ ...t, name: v(t.name) })),
    sparseInitializer: (g.sparseInitializer ?? []).map((s) => ({
      ...s,
      values: s.values ? { ...s.values, name: v(s.values.name) } : s.values,
    })),
    input: info(g.input),
    output: info(g.output),
    valueInfo: info(g.valueInfo),
    quantizationAnnotation: (g.quantizationAnnotation ?? []).map((q) => ({ ...q, tensorName: v(q.tensorName) })),
  };
}

function renameNode(n: INodeProto, rn: Rename): INodeProto {
  const v = (name: string): string => (name ? rn(name) : '');
  return {
    ...n,
    name: n.name ? rn(n.name) : n.name,
    input: (n.input ?? []).map(v),
    output: (n.output ?? []).map(v),
    attribute: (n.attribute ?? []).map((a): IAttr => ({
      ...a,
      ...(a.g ? { g: renameGraph(a.g, rn) } : {}),
      ...(a.graphs && a.graphs.length > 0 ? { graphs: a.graphs.map((s) => renameGraph(s, rn)) } : {}),
    })),
  };
}

/** Ops whose `axes` moved from attribute to input at opset 18 (ReduceSum already did at 13). */
const REDUCE_AXES_18 = new Set([
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
]);

/**
 * Our head is written at opset 17; under a newer backbone opset its Reduce* `axes` attributes become int64 inputs.
 * Every other op the head uses (Conv, MatMul, Resize, LayerNormalization, …) means the same up to the latest opsets.
 */
function headNodesFor(
  opset: number,
  head: IGraphProto,
): { nodes: INodeProto[]; extra: NonNullable<IGraphProto['initializer']> } {
  const nodes: INodeProto[] = [];
  const extra: NonNullable<IGraphProto['initializer']> = [];
  for (const n of head.node ?? []) {
    const axes = n.attribute?.find((a) => a.name === 'axes');
    if (opset < 18 || n.domain || !REDUCE_AXES_18.has(n.opType ?? '') || !axes) {
      nodes.push(n);
      continue;
    }
    const name = `${n.name ?? n.output?.[0] ?? 'reduce'}.axes`;
    const values = (axes.ints ?? []).map((x) => BigInt(toNum(x)));
    const raw = new Uint8Array(BigInt64Array.from(values).buffer);
    extra.push({ name, dataType: 7, dims: [values.length], rawData: raw });
    nodes.push({ ...n, input: [...(n.input ?? []), name], attribute: (n.attribute ?? []).filter((a) => a !== axes) });
  }
  return { nodes, extra };
}

export interface MergeSpec {
  readonly backbone: ModelProto;
  /** The backbone input that takes the image. */
  readonly backboneInput: string;
  /** Backbone tensors feeding the head, in the order of `headTapInputs`. */
  readonly backboneTaps: readonly string[];
  /** Head graph exported with params baked in; its inputs are the taps. */
  readonly head: ModelProto;
  readonly headTapInputs: readonly string[];
  /** The merged model's image input (the head's convention, e.g. `image`) and its [1,3,H,W] shape. */
  readonly imageName: string;
  readonly imageShape: readonly number[];
  readonly modelName?: string;
}

export function mergeBackboneAndHead(s: MergeSpec): Uint8Array {
  const bg = s.backbone.graph as IGraphProto;
  const hg = s.head.graph as IGraphProto;
  const rn: Rename = (name) => (name === s.backboneInput ? s.imageName : `${BACKBONE_PREFIX}${name}`);
  const body = renameGraph(bg, rn);

  // Head tap inputs become the (renamed) backbone tensors.
  const tapOf = new Map(s.headTapInputs.map((h, i) => [h, rn(s.backboneTaps[i] as string)]));
  const opset = Math.max(17, defaultOpset(s.backbone));
  const head = headNodesFor(opset, hg);
  const headNodes = head.nodes.map((n) => ({ ...n, input: (n.input ?? []).map((i) => tapOf.get(i) ?? i) }));

  const initNames = new Set((bg.initializer ?? []).map((t) => rn(t.name ?? '')));
  const initializers = [...(body.initializer ?? []), ...(hg.initializer ?? []), ...head.extra];
  const seen = new Set<string>();
  for (const t of initializers) {
    if (seen.has(t.name ?? ''))
      throw new BackboneError('LW_BACKBONE_CONFIG', `merged graph has two initializers named "${t.name}"`, {
        name: t.name,
      });
    seen.add(t.name ?? '');
  }

  // Opsets: ai.onnx at max(17, backbone's); any custom domains the backbone imports come along unchanged.
  const opsets = new Map<string, number>([['', opset]]);
  for (const o of s.backbone.opsetImport)
    if (o.domain && o.domain !== 'ai.onnx') opsets.set(o.domain, toNum(o.version));

  const merged = onnx.ModelProto.create({
    irVersion: Math.max(8, toNum(s.backbone.irVersion)),
    producerName: 'linewatch-adtr',
    opsetImport: [...opsets].map(([domain, version]) => ({ domain, version })),
    functions: s.backbone.functions ?? [],
    graph: {
      name: s.modelName ?? 'linewatch-adtr',
      node: [...(body.node ?? []), ...headNodes],
      initializer: initializers,
      sparseInitializer: body.sparseInitializer ?? [],
      input: [
        {
          name: s.imageName,
          type: { tensorType: { elemType: 1, shape: { dim: s.imageShape.map((d) => ({ dimValue: d })) } } },
        },
      ],
      output: hg.output ?? [],
      // Old exporters list initializers as inputs; those names are initializers here, never inputs.
      valueInfo: (body.valueInfo ?? []).filter((v) => !initNames.has(v.name ?? '')),
    },
  });
  return onnx.ModelProto.encode(merged).finish();
}
