/**
 * Emits a backbone plan into a graph as frozen constants: Conv (BN already folded), Clip for ReLU6, Add, MaxPool /
 * AveragePool and Concat (Inception). The taps are returned as NCHW tensors behind stopGradient, so no training graph
 * ever differentiates into the backbone.
 */
import { add, averagePool, clip, concat, conv, maxPool, stopGradient, type Graph, type Tensor } from '@linewatch/graph';
import { BackboneError } from './errors.js';
import type { BackbonePlan } from './plan.js';

export function applyBackbone(g: Graph, image: Tensor, plan: BackbonePlan, prefix = 'backbone'): Tensor[] {
  const [, c, h, w] = image.shape;
  const [pc, ph, pw] = plan.inputShape;
  if (image.rank !== 4 || c !== pc || h !== ph || w !== pw) {
    throw new BackboneError(
      'LW_BACKBONE_CONFIG',
      `backbone expects [N,${pc},${ph},${pw}], got [${image.shape.join(',')}]`,
    );
  }
  const values = new Map<string, Tensor>();
  for (const op of plan.ops) {
    switch (op.kind) {
      case 'input':
        values.set(op.name, image);
        break;
      case 'conv': {
        const x = values.get(op.input) as Tensor;
        const wt = g.constant(op.weight, op.weightShape, `${prefix}.${op.name}.weight`);
        const b = g.constant(op.bias, [op.bias.length], `${prefix}.${op.name}.bias`);
        values.set(op.name, conv(x, wt, b, { strides: op.strides, pads: op.pads, group: op.group }));
        break;
      }
      case 'clip':
        values.set(op.name, clip(values.get(op.input) as Tensor, op.min, Number.isFinite(op.max) ? op.max : undefined));
        break;
      case 'add':
        values.set(op.name, add(values.get(op.inputs[0]) as Tensor, values.get(op.inputs[1]) as Tensor));
        break;
      case 'pool': {
        const x = values.get(op.input) as Tensor;
        const o = { kernel: op.kernel, strides: op.strides, pads: op.pads };
        values.set(op.name, op.mode === 'max' ? maxPool(x, o) : averagePool(x, o));
        break;
      }
      case 'concat':
        values.set(
          op.name,
          concat(
            op.inputs.map((n) => values.get(n) as Tensor),
            1,
          ),
        );
        break;
    }
  }
  return plan.taps.map((t) => stopGradient(values.get(t.name) as Tensor));
}
