/**
 * Backbone choice: `nsfwjs` (the MobileNetV2 bundled in the nsfwjs npm package — installs on a fresh clone, so it is
 * the default) or a path to any TF.js layers-model directory (e.g. ../shared/backbones/mobilenetv2-035-imagenet-tfjs),
 * which is assumed to expect Keras Applications preprocessing (x/127.5 − 1), or `onnx:<dir|backbone.json>`, a
 * user-supplied ONNX backbone with its manifest (./onnx-backbone.ts).
 */
import { resolve } from 'node:path';
import type { ModelConfig } from '@linewatch/adtr';
import {
  buildBackbonePlan,
  decodeWeights,
  KERAS_MOBILENET_NORMALIZATION,
  loadNsfwjsModel,
  loadTfjsDirectory,
  NSFWJS_NORMALIZATION,
  parseKerasTopology,
  type BackboneNormalization,
  type BackbonePlan,
} from '@linewatch/backbones';
import { isOnnxSpec, resolveOnnxBackbone, type ResolvedOnnxBackbone } from './onnx-backbone.js';

export const DEFAULT_BACKBONE = 'nsfwjs';

export interface ResolvedBackbone {
  readonly kind: 'native';
  /** Manifest-safe id ([A-Za-z0-9._-]). */
  readonly id: string;
  /** What to pass to resolveBackbone again (stored in the package so fine-tunes reuse the same backbone). */
  readonly spec: string;
  readonly plan: BackbonePlan;
  /** What the backbone's weights expect: pixel' = (pixel · scale − mean) / std. */
  readonly normalization: BackboneNormalization;
}

function safeId(raw: string): string {
  return (
    raw
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 64) || 'backbone'
  );
}

export function resolveBackbone(spec: string, model: ModelConfig): ResolvedBackbone {
  const files = spec === DEFAULT_BACKBONE ? loadNsfwjsModel('mobilenet_v2') : loadTfjsDirectory(resolve(spec));
  const plan = buildBackbonePlan(
    parseKerasTopology(files.modelTopology),
    decodeWeights(files.weightsManifest, files.shards),
    model.taps,
    model.inputSize,
  );
  const id =
    spec === DEFAULT_BACKBONE
      ? 'mobilenetv2-nsfwjs-4.4.0'
      : safeId(`tfjs-${spec.split('/').filter(Boolean).pop() ?? 'model'}`);
  const normalization = spec === DEFAULT_BACKBONE ? NSFWJS_NORMALIZATION : KERAS_MOBILENET_NORMALIZATION;
  return { kind: 'native', id, spec: spec === DEFAULT_BACKBONE ? spec : resolve(spec), plan, normalization };
}

/** Any backbone the trainer can train on: a native (Keras/TF.js) one or a user ONNX one. */
export type TrainingBackbone = ResolvedBackbone | ResolvedOnnxBackbone;

/** `resolveBackbone` plus `onnx:` specs (those are opened and probed, hence async). */
export async function openBackbone(spec: string, model: ModelConfig): Promise<TrainingBackbone> {
  return isOnnxSpec(spec) ? resolveOnnxBackbone(spec, model) : resolveBackbone(spec, model);
}

/** The config a backbone trains with: an ONNX backbone brings its own input size and taps (grid scaled to match). */
export function backboneModel(backbone: TrainingBackbone, model: ModelConfig): ModelConfig {
  return backbone.kind === 'onnx' ? backbone.model : model;
}
