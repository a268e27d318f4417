/** Token features → reconstructed features: 1×1 projection C→D, the transformer, 1×1 projection D→C. */
import { div, init, linear, reshape, sub, transpose, type Graph, type Tensor } from '@linewatch/graph';
import type { ModelConfig } from './config.js';
import { reconstructionTransformer } from './transformer.js';

export interface Reconstruction {
  /** Target features as tokens [N, T, C]. */
  readonly features: Tensor;
  /** Reconstructed features [N, T, C]. */
  readonly reconstruction: Tensor;
}

/** grid features [N, C, rows, cols] → tokens [N, T, C] (row-major positions). */
export function gridToTokens(grid: Tensor): Tensor {
  const [n, c, rows, cols] = grid.shape as [number, number, number, number];
  return transpose(reshape(grid, [n, c, rows * cols]), [0, 2, 1]);
}

/** Names of the per-channel feature statistics: frozen params set from the training data, never trained. */
export const FEATURE_MEAN = 'adtr.feature_mean';
export const FEATURE_STD = 'adtr.feature_std';

export function reconstruct(g: Graph, gridFeatures: Tensor, cfg: ModelConfig, prefix = 'adtr'): Reconstruction {
  const [n, c, rows, cols] = gridFeatures.shape as [number, number, number, number];
  const tokens = rows * cols;
  // Taps from different depths differ in scale by an order of magnitude; standardising each channel with statistics
  // of the normal training tokens lets every channel count in ‖f − f̂‖ instead of the loudest tap dominating.
  const mean = g.param(prefix === 'adtr' ? FEATURE_MEAN : `${prefix}.feature_mean`, [c], init.zeros(), {
    weightDecay: false,
  });
  const std = g.param(prefix === 'adtr' ? FEATURE_STD : `${prefix}.feature_std`, [c], init.ones(), {
    weightDecay: false,
  });
  const features = div(sub(gridToTokens(gridFeatures), mean), std);
  const inW = g.param(`${prefix}.input_proj.weight`, [c, cfg.dim], init.xavier());
  const inB = g.param(`${prefix}.input_proj.bias`, [cfg.dim], init.zeros(), { weightDecay: false });
  const hidden = reconstructionTransformer(
    g,
    linear(features, inW, inB),
    {
      batch: n,
      tokens,
      dim: cfg.dim,
      heads: cfg.heads,
      encoderLayers: cfg.encoderLayers,
      decoderLayers: cfg.decoderLayers,
      ffnHidden: cfg.ffnMult * cfg.dim,
      ...(cfg.ownTokenMask ? { ownTokenMask: true } : {}),
    },
    prefix,
  );
  const outW = g.param(`${prefix}.output_proj.weight`, [cfg.dim, c], init.xavier());
  const outB = g.param(`${prefix}.output_proj.bias`, [c], init.zeros(), { weightDecay: false });
  return { features, reconstruction: linear(hidden, outW, outB) };
}

/**
 * The decoder side of the reconstruction by parameter name: decoder layers, auxiliary queries and the output
 * projection (the names `reconstructionTransformer` and `reconstruct` create). Positional embeddings are shared with
 * the encoder and are not part of it.
 */
export function isDecoderParam(name: string, prefix = 'adtr'): boolean {
  return (
    name.startsWith(`${prefix}.dec`) || name === `${prefix}.aux_query` || name.startsWith(`${prefix}.output_proj.`)
  );
}
