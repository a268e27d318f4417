/**
 * Emits a backbone plan into a graph as frozen constants: Conv (BN already folded), Clip for ReLU6, Add. The taps are
 * returned as NCHW tensors behind stopGradient, so no training graph ever differentiates into the backbone.
 */
import { add, clip, concat, conv, reduceMean, reshape, resize, stopGradient, sub, type Graph, type Tensor } from '@linewatch/graph';
import { AdtrError } from '../errors.js';
import type { BackbonePlan } from './plan.js';

export function applyBackbone(g: Graph, image: Tensor, plan: BackbonePlan, prefix = 'backbone'): Tensor[] {
  const [, c, h, w] = image.shape;
  const [pc, ph, pw] = plan.inputShape;
  if (image.rank !== 4 || c !== pc || h !== ph || w !== pw) {
    throw new AdtrError('LW_ADTR_CONFIG', `backbone expects [N,${pc},${ph},${pw}], got [${image.shape.join(',')}]`);
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
    }
  }
  return plan.taps.map((t) => stopGradient(values.get(t.name) as Tensor));
}

/**
 * ADTR's token features: every tap resized (bilinear, align-corners) to the token grid and concatenated along
 * channels → [N, ΣC, rows, cols].
 */
export function tapsToGrid(taps: readonly Tensor[], grid: readonly [number, number]): Tensor {
  if (taps.length === 0) throw new AdtrError('LW_ADTR_CONFIG', 'at least one feature tap is needed');
  const resized = taps.map((t) =>
    t.shape[2] === grid[0] && t.shape[3] === grid[1] ? t : resize(t, grid, { alignCorners: true }),
  );
  return resized.length === 1 ? (resized[0] as Tensor) : concat(resized, 1);
}

/**
 * The input image's mean per token cell, relative to the frame's mean: [N, C, rows, cols]. CNN features respond to
 * texture far more than to slow brightness changes, so a large, faintly darker region ("uneven" on Magnetic Tile)
 * barely moves them; this tap lets the reconstruction see brightness and predict it from the context.
 */
export function intensityTap(image: Tensor, grid: readonly [number, number]): Tensor {
  const [n, c, h, w] = image.shape as [number, number, number, number];
  const [rows, cols] = grid;
  if (h % rows !== 0 || w % cols !== 0) {
    throw new AdtrError('LW_ADTR_CONFIG', `the intensity tap needs the input ${h}x${w} to be a multiple of the grid ${rows}x${cols}`);
  }
  const cells = reduceMean(reshape(image, [n, c, rows, h / rows, cols, w / cols]), [3, 5]);
  return stopGradient(sub(cells, reduceMean(cells, [2, 3], { keepDims: true })));
}
