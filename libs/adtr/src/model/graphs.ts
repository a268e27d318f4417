/**
 * The graphs built from one model definition:
 * - features: image → token-grid features (run once per image and cached, since the backbone is frozen);
 * - training: cached features (+ labels) → loss, with the same reconstruction and scoring nodes;
 * - inference: image → anomaly map + image score, the deployed `model.onnx`.
 * Parameters are created by name in the same order in each graph, so trained values carry over by name.
 */
import { applyBackbone, type BackbonePlan } from '@linewatch/backbones';
import { concat, Graph, type Tensor } from '@linewatch/graph';
import { AdtrError } from '../errors.js';
import { checkModelConfig, type LossSettings, type ModelConfig } from './config.js';
import { intensityTap, tapsToGrid } from './grid.js';
import { lossImg, lossMixed, lossNorm, lossPx, residual } from './losses.js';
import { reconstruct } from './reconstruct.js';
import { imageScore, tokenMap, upsampleMap } from './scoring.js';

export const INPUT_NAME = 'image';
export const MAP_OUTPUT = 'anomaly_map';
export const SCORE_OUTPUT = 'score';

export function featureChannels(plan: BackbonePlan, cfg?: Pick<ModelConfig, 'intensityTap'>): number {
  return plan.taps.reduce((a, t) => a + t.shape[0], 0) + (cfg?.intensityTap ? plan.inputShape[0] : 0);
}

function checkPlan(plan: BackbonePlan, cfg: ModelConfig): void {
  const [, h, w] = plan.inputShape;
  if (h !== cfg.inputSize[0] || w !== cfg.inputSize[1]) {
    throw new AdtrError('LW_ADTR_CONFIG', `backbone plan is for ${h}x${w}, model input is ${cfg.inputSize.join('x')}`);
  }
}

/** Token-grid features of an image: the backbone taps on the grid, plus the intensity tap when configured. */
function gridFeatures(g: Graph, image: Tensor, plan: BackbonePlan, cfg: ModelConfig): Tensor {
  const taps = tapsToGrid(applyBackbone(g, image, plan), cfg.grid);
  return cfg.intensityTap ? concat([taps, intensityTap(image, cfg.grid)], 1) : taps;
}

export interface FeatureGraph {
  readonly graph: Graph;
  readonly image: Tensor;
  readonly features: Tensor;
}

export function buildFeatureGraph(plan: BackbonePlan, cfg: ModelConfig, batch = 1): FeatureGraph {
  checkModelConfig(cfg);
  checkPlan(plan, cfg);
  const g = new Graph();
  const [c, h, w] = plan.inputShape;
  const image = g.input(INPUT_NAME, [batch, c, h, w]);
  return { graph: g, image, features: gridFeatures(g, image, plan, cfg) };
}

export interface InferenceGraph {
  readonly graph: Graph;
  readonly image: Tensor;
  readonly map: Tensor;
  readonly score: Tensor;
}

export function buildInferenceGraph(plan: BackbonePlan, cfg: ModelConfig, seed = 0): InferenceGraph {
  checkModelConfig(cfg);
  checkPlan(plan, cfg);
  const g = new Graph({ seed });
  const [c, h, w] = plan.inputShape;
  const image = g.input(INPUT_NAME, [1, c, h, w]);
  const grid = gridFeatures(g, image, plan, cfg);
  const { features, reconstruction } = reconstruct(g, grid, cfg);
  const map = upsampleMap(tokenMap(residual(features, reconstruction), cfg.grid), cfg.inputSize);
  return { graph: g, image, map, score: imageScore(map, cfg.scorePool) };
}

/** norm: L_norm; px: L_px (token masks); img: L_img (image labels); mixed: per image one or the other (lossMixed). */
export type LossKind = 'norm' | 'px' | 'img' | 'mixed';

export interface TrainingGraph {
  readonly graph: Graph;
  readonly kind: LossKind;
  /** [B, C, rows, cols] cached grid features. */
  readonly features: Tensor;
  /** [B, T] token labels (px and mixed). */
  readonly mask?: Tensor;
  /** [B] 1 when the image has anomalous tokens (px and mixed). */
  readonly hasAnomaly?: Tensor;
  /** [B] image labels (img and mixed). */
  readonly label?: Tensor;
  /** [B] weight of L_px against L_img per image (mixed only). */
  readonly pxWeight?: Tensor;
  readonly loss: Tensor;
  /** [B, 1, rows, cols] token-resolution anomaly map, for evaluation without the backbone. */
  readonly tokenMap: Tensor;
}

export function buildTrainingGraph(
  cfg: ModelConfig,
  channels: number,
  batch: number,
  kind: LossKind,
  loss: LossSettings,
  seed = 0,
): TrainingGraph {
  checkModelConfig(cfg);
  const g = new Graph({ seed });
  const [rows, cols] = cfg.grid;
  const tokens = rows * cols;
  const features = g.input('features', [batch, channels, rows, cols]);
  const r = reconstruct(g, features, cfg);
  const d = residual(r.features, r.reconstruction);
  const map = tokenMap(d, cfg.grid);
  if (kind === 'norm') return { graph: g, kind, features, loss: lossNorm(d), tokenMap: map };
  if (kind === 'px') {
    const mask = g.input('mask', [batch, tokens]);
    const hasAnomaly = g.input('has_anomaly', [batch]);
    return {
      graph: g,
      kind,
      features,
      mask,
      hasAnomaly,
      loss: lossPx(d, mask, hasAnomaly, loss.alphaPx ?? loss.alpha),
      tokenMap: map,
    };
  }
  if (loss.topK > tokens) throw new AdtrError('LW_ADTR_CONFIG', `topK ${loss.topK} exceeds ${tokens} tokens`);
  const label = g.input('label', [batch]);
  if (kind === 'img')
    return { graph: g, kind, features, label, loss: lossImg(d, label, loss.alpha, loss.topK), tokenMap: map };
  const mask = g.input('mask', [batch, tokens]);
  const hasAnomaly = g.input('has_anomaly', [batch]);
  const pxWeight = g.input('px_weight', [batch]);
  const alphas = { px: loss.alphaPx ?? loss.alpha, img: loss.alpha };
  const mixed = lossMixed(d, { mask, hasAnomaly, label, pxWeight }, alphas, loss.topK);
  return { graph: g, kind, features, mask, hasAnomaly, label, pxWeight, loss: mixed, tokenMap: map };
}
