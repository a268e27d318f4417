/**
 * Reverse-mode autodiff over the builder graph. `grad(loss, wrt)` appends backward nodes to the same graph and
 * returns one gradient tensor per `wrt` tensor. Only nodes on a path from some `wrt` to the loss are
 * differentiated; StopGradient, integer/bool tensors and graph inputs/constants cut paths.
 */
import type { Graph } from '../builder.js';
import { GraphError } from '../errors.js';
import { sumAll } from '../ops/shape.js';
import { isFloat, sameShape, type NodeDef, type Tensor } from '../tensor.js';
import type { GradRule } from './rule.js';
import { elementwiseRules } from './rules-elementwise.js';
import { structuralRules } from './rules-structural.js';
import { zerosLike } from './unbroadcast.js';

const RULES: Readonly<Record<string, GradRule>> = { ...elementwiseRules, ...structuralRules };

/** Ops that have a gradient rule (for docs and tests). */
export const DIFFERENTIABLE_OPS: readonly string[] = Object.keys(RULES).sort();

function checkArguments(loss: Tensor, wrt: readonly Tensor[]): void {
  if (loss.size !== 1)
    throw new GraphError('LW_GRAPH_LOSS_NOT_SCALAR', `loss ${loss.toString()} must have one element`, {});
  if (!isFloat(loss.dtype)) throw new GraphError('LW_GRAPH_DTYPE_MISMATCH', 'loss must be float', {});
  for (const w of wrt)
    if (w.graph !== loss.graph) throw new GraphError('LW_GRAPH_FOREIGN_TENSOR', `${w.name} is from another graph`, {});
}

/** Forward sweep: which tensors depend (differentiably) on some wrt tensor. */
function liveTensors(nodes: readonly NodeDef[], wrt: readonly Tensor[]): Set<Tensor> {
  const live = new Set<Tensor>(wrt.filter((w) => isFloat(w.dtype)));
  for (const n of nodes) {
    if (n.op === 'StopGradient' || !n.inputs.some((i) => i && live.has(i))) continue;
    for (const out of n.outputs) if (isFloat(out.dtype)) live.add(out);
  }
  return live;
}

/** Gradient contributions per tensor, summed (one Sum node appended to the graph) when first read. */
class Contributions {
  private readonly byTensor = new Map<Tensor, Tensor[]>();

  push(t: Tensor, g: Tensor): void {
    if (!sameShape(t.shape, g.shape)) {
      throw new GraphError(
        'LW_GRAPH_SHAPE_MISMATCH',
        `internal: gradient for ${t.toString()} has shape [${g.shape.join(',')}]`,
        {},
      );
    }
    const list = this.byTensor.get(t);
    if (list) list.push(g);
    else this.byTensor.set(t, [g]);
  }

  has(t: Tensor): boolean {
    return this.byTensor.has(t);
  }

  total(t: Tensor): Tensor | undefined {
    const list = this.byTensor.get(t);
    if (!list) return undefined;
    const s = sumAll(list);
    this.byTensor.set(t, [s]);
    return s;
  }
}

/** One step of the reverse sweep: passes node n's output gradients on to its live inputs. */
function backward(graph: Graph, n: NodeDef, live: ReadonlySet<Tensor>, acc: Contributions): void {
  const composite = graph.compositeGradients.get(n);
  if (composite) {
    // The subgraph's inner nodes receive no contributions, so the reverse sweep skips them.
    const gx = composite.rule(acc.total(n.outputs[0]!)!);
    composite.inputs.forEach((t, k) => {
      const g = gx[k];
      if (live.has(t) && g) acc.push(t, g);
    });
    return;
  }
  const needs = n.inputs.map((t) => t !== null && live.has(t));
  if (!needs.some(Boolean)) return;
  const rule = RULES[n.op];
  if (!rule) {
    throw new GraphError(
      'LW_GRAPH_NO_GRADIENT',
      `op ${n.op} (${n.name}) has no gradient rule but lies between a parameter and the loss`,
      {
        op: n.op,
        node: n.name,
      },
    );
  }
  const gy = n.outputs.map((o) => acc.total(o));
  const gx = rule(n, gy, needs);
  n.inputs.forEach((t, k) => {
    const g = gx[k];
    if (t && needs[k] && g) acc.push(t, g);
  });
}

export function grad(loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
  const graph = loss.graph;
  checkArguments(loss, wrt);
  const nodes = graph.nodes.slice(0, loss.producer ? loss.producer.index + 1 : 0);
  const live = liveTensors(nodes, wrt);
  const acc = new Contributions();
  if (live.has(loss))
    acc.push(loss, loss.rank === 0 ? graph.scalar(1, loss.dtype) : graph.constant(onesLike(loss), loss.shape));
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i] as NodeDef;
    if (n.outputs.some((o) => acc.has(o))) backward(graph, n, live, acc);
  }
  return wrt.map((w) => acc.total(w) ?? zerosLike(graph, w));
}

function onesLike(t: Tensor): Float32Array | Float64Array {
  return (t.dtype === 'float64' ? new Float64Array(1) : new Float32Array(1)).fill(1);
}
