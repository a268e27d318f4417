/**
 * The graphs that start from backbone taps instead of the image, for backbones that are not ours (a user's ONNX):
 * - grid: taps → token-grid features (resize + concat, exactly tapsToGrid), run after the user's model when
 *   extracting training features;
 * - head: taps → anomaly map + score (tapsToGrid, reconstruction, scoring exactly as buildInferenceGraph), merged
 *   behind the user's graph for deployment.
 * Parameters are created by the same names in the same order as in buildInferenceGraph/buildTrainingGraph.
 */
import { Graph, type Tensor } from '@linewatch/graph';
import { AdtrError } from '../errors.js';
import { checkModelConfig, type ModelConfig } from './config.js';
import { tapsToGrid } from './grid.js';
import { residual } from './losses.js';
import { reconstruct } from './reconstruct.js';
import { imageScore, tokenMap, upsampleMap } from './scoring.js';

/** A tap's per-image [C, H, W]. */
export type TapShape = readonly [number, number, number];

/** Names of the head/grid graphs' tap inputs, in tap order. */
export function tapInputName(i: number): string {
  return `tap_${i}`;
}

function tapInputs(g: Graph, taps: readonly TapShape[], batch: number): Tensor[] {
  if (taps.length === 0) throw new AdtrError('LW_ADTR_CONFIG', 'at least one feature tap is needed');
  return taps.map((s, i) => {
    if (s.length !== 3 || s.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new AdtrError('LW_ADTR_CONFIG', `tap ${i} has shape [${s.join(',')}], expected [C,H,W]`);
    }
    return g.input(tapInputName(i), [batch, ...s]);
  });
}

export interface GridGraph {
  readonly graph: Graph;
  readonly taps: readonly Tensor[];
  readonly features: Tensor;
}

export function buildGridGraph(taps: readonly TapShape[], cfg: ModelConfig, batch = 1): GridGraph {
  checkModelConfig(cfg);
  const g = new Graph();
  const inputs = tapInputs(g, taps, batch);
  return { graph: g, taps: inputs, features: tapsToGrid(inputs, cfg.grid) };
}

export interface HeadGraph {
  readonly graph: Graph;
  readonly taps: readonly Tensor[];
  readonly map: Tensor;
  readonly score: Tensor;
}

export function buildHeadGraph(taps: readonly TapShape[], cfg: ModelConfig, seed = 0): HeadGraph {
  checkModelConfig(cfg);
  const g = new Graph({ seed });
  const inputs = tapInputs(g, taps, 1);
  const { features, reconstruction } = reconstruct(g, tapsToGrid(inputs, cfg.grid), cfg);
  const map = upsampleMap(tokenMap(residual(features, reconstruction), cfg.grid), cfg.inputSize);
  return { graph: g, taps: inputs, map, score: imageScore(map, cfg.scorePool) };
}
