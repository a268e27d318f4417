/**
 * The graph under construction: inputs, parameters (with seeded initial values), constants and an append-only
 * node list. Ops (src/ops) add nodes through `addNode`; autodiff and optimizers add more nodes to the same graph,
 * and the serializer prunes whatever a given export does not need — one definition, many exported graphs.
 */
import { GraphError } from './errors.js';
import type { Initializer } from './init.js';
import { hashString, materialize } from './init.js';
import type { Attr, DType, FloatData, FloatDType, NodeDef, Shape, TensorData } from './tensor.js';
import { Tensor, dtypeOfData, shapeSize } from './tensor.js';

export interface ParamOptions {
  /** Excluded from AdamW's decoupled weight decay (biases, norm scales). Default: decay when rank ≥ 2. */
  readonly weightDecay?: boolean;
}

export interface ParamEntry {
  readonly tensor: Tensor;
  readonly init: FloatData;
  readonly weightDecay: boolean;
}

export interface ConstantEntry {
  readonly tensor: Tensor;
  readonly data: TensorData;
}

/** A hand-written gradient for a small subgraph (e.g. GELU), attached to the node producing its output. */
export interface CompositeGradient {
  readonly inputs: readonly Tensor[];
  /** Gradient of the output → gradients of `inputs` (undefined: none). */
  readonly rule: (gy: Tensor) => readonly (Tensor | undefined)[];
}

export interface GraphOptions {
  readonly seed?: number;
  /** Default float dtype for params, inputs and scalar constants. float64 is for gradient checks. */
  readonly dtype?: FloatDType;
}

export class Graph {
  readonly seed: number;
  readonly dtype: FloatDType;
  readonly nodes: NodeDef[] = [];
  readonly inputs = new Map<string, Tensor>();
  readonly params = new Map<string, ParamEntry>();
  readonly constants = new Map<string, ConstantEntry>();
  readonly compositeGradients = new Map<NodeDef, CompositeGradient>();
  private readonly names = new Set<string>();
  private readonly scalarCache = new Map<string, Tensor>();
  private counter = 0;

  constructor(options: GraphOptions = {}) {
    this.seed = options.seed ?? 0;
    this.dtype = options.dtype ?? 'float32';
  }

  /** A fresh name that can't collide with user names (they may not contain '#'). */
  uniqueName(prefix: string): string {
    let name: string;
    do name = `${prefix}#${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  private claim(name: string): void {
    if (name.length === 0 || name.includes('#')) {
      throw new GraphError('LW_GRAPH_BAD_ARGUMENT', `name '${name}' must be non-empty and free of '#'`, { name });
    }
    if (this.names.has(name))
      throw new GraphError('LW_GRAPH_DUPLICATE_NAME', `name '${name}' is already used`, { name });
    this.names.add(name);
  }

  input(name: string, shape: Shape, dtype: DType = this.dtype): Tensor {
    checkShape(shape, name);
    this.claim(name);
    const t = new Tensor(this, name, [...shape], dtype, 'input', null);
    this.inputs.set(name, t);
    return t;
  }

  param(name: string, shape: Shape, initializer: Initializer, options: ParamOptions = {}): Tensor {
    checkShape(shape, name);
    this.claim(name);
    const t = new Tensor(this, name, [...shape], this.dtype, 'param', null);
    const data = materialize(initializer, shape, this.dtype, hashString(name, this.seed));
    this.params.set(name, { tensor: t, init: data, weightDecay: options.weightDecay ?? shape.length >= 2 });
    return t;
  }

  /** A constant baked into every exported graph (frozen backbone weights, masks, lookup tables). */
  constant(data: TensorData, shape: Shape, name?: string): Tensor {
    checkShape(shape, name ?? 'constant', 0);
    if (shapeSize(shape) !== data.length) {
      throw new GraphError(
        'LW_GRAPH_SHAPE_MISMATCH',
        `constant has ${data.length} values, shape [${shape.join(',')}] needs ${shapeSize(shape)}`,
        {
          shape,
        },
      );
    }
    let n: string;
    if (name !== undefined) {
      this.claim(name);
      n = name;
    } else n = this.uniqueName('const');
    const t = new Tensor(this, n, [...shape], dtypeOfData(data), 'constant', null);
    this.constants.set(n, { tensor: t, data });
    return t;
  }

  /** Scalar constants are cached per (dtype, value) so `mul(x, 2)` a hundred times adds one initializer. */
  scalar(value: number, dtype: DType = this.dtype): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : String(value)}`;
    const hit = this.scalarCache.get(key);
    if (hit) return hit;
    const data =
      dtype === 'float64'
        ? Float64Array.of(value)
        : dtype === 'float32'
          ? Float32Array.of(value)
          : dtype === 'int64'
            ? BigInt64Array.of(BigInt(value))
            : dtype === 'int32'
              ? Int32Array.of(value)
              : Uint8Array.of(value ? 1 : 0);
    const t = this.constant(data, []);
    this.scalarCache.set(key, t);
    return t;
  }

  /** int64 vectors for shape-like op inputs (Reshape shape, Slice starts, ReduceSum axes …). */
  int64s(values: readonly number[]): Tensor {
    const key = `i64v:${values.join(',')}`;
    const hit = this.scalarCache.get(key);
    if (hit) return hit;
    const t = this.constant(
      BigInt64Array.from(values, (v) => BigInt(v)),
      [values.length],
    );
    this.scalarCache.set(key, t);
    return t;
  }

  addNode(
    op: string,
    inputs: readonly (Tensor | null)[],
    outputs: readonly { shape: Shape; dtype: DType }[],
    attrs: Record<string, Attr> = {},
  ): Tensor[] {
    for (const t of inputs) {
      if (t && t.graph !== this)
        throw new GraphError('LW_GRAPH_FOREIGN_TENSOR', `tensor ${t.name} belongs to another graph`, { op });
    }
    const outs: Tensor[] = [];
    const node: NodeDef = {
      op,
      name: this.uniqueName(op),
      inputs: [...inputs],
      outputs: outs,
      attrs,
      index: this.nodes.length,
    };
    for (const o of outputs)
      outs.push(new Tensor(this, this.uniqueName(op.toLowerCase()), [...o.shape], o.dtype, 'node', node));
    this.nodes.push(node);
    return outs;
  }

  /** Single-output convenience. */
  add1(
    op: string,
    inputs: readonly (Tensor | null)[],
    shape: Shape,
    dtype: DType,
    attrs: Record<string, Attr> = {},
  ): Tensor {
    return this.addNode(op, inputs, [{ shape, dtype }], attrs)[0]!;
  }

  /**
   * Differentiate the subgraph ending at `output` with `rule` instead of node by node. Used where the closed form
   * needs fewer passes over memory than the chain rule through primitives (GELU: 8 element-wise passes, not 11).
   */
  customGradient(output: Tensor, inputs: readonly Tensor[], rule: CompositeGradient['rule']): void {
    if (!output.producer || output.producer.outputs.length !== 1) {
      throw new GraphError(
        'LW_GRAPH_BAD_ARGUMENT',
        `customGradient: ${output.toString()} must be a single-output node result`,
        {},
      );
    }
    this.compositeGradients.set(output.producer, { inputs, rule });
  }

  paramTensors(): Tensor[] {
    return [...this.params.values()].map((p) => p.tensor);
  }
}

function checkShape(shape: Shape, name: string, minDim = 1): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= minDim)) {
    throw new GraphError(
      'LW_GRAPH_BAD_ARGUMENT',
      `shape of '${name}' must be positive integers, got [${shape.join(',')}]`,
      { shape },
    );
  }
}
