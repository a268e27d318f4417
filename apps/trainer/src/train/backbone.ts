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
  NSFWJS_MODELS,
  NSFWJS_NORMALIZATION,
  parseKerasTopology,
  type BackboneNormalization,
  type BackbonePlan,
  type KerasGraph,
  type LayersModelFiles,
  type NsfwjsModel,
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
  /** The tap names the plan was built for: the config's `taps`, or the first of its `altTaps` this backbone has. */
  readonly taps: readonly string[];
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

/** The nsfwjs models the trainer accepts as `nsfwjs` (MobileNetV2) or `nsfwjs:<model>`. */
function nsfwjsModel(spec: string): NsfwjsModel | undefined {
  if (spec === DEFAULT_BACKBONE) return 'mobilenet_v2';
  const m = spec.startsWith(`${DEFAULT_BACKBONE}:`) ? spec.slice(DEFAULT_BACKBONE.length + 1) : undefined;
  return (NSFWJS_MODELS as readonly string[]).includes(m ?? '') ? (m as NsfwjsModel) : undefined;
}

/** A native backbone's files, manifest-safe id and input normalisation (no plan yet: that needs taps and size). */
export function backboneFiles(spec: string): {
  files: LayersModelFiles;
  id: string;
  normalization: BackboneNormalization;
} {
  const nsfw = nsfwjsModel(spec);
  if (nsfw) {
    const id = nsfw === 'mobilenet_v2' ? 'mobilenetv2-nsfwjs-4.4.0' : safeId(`${nsfw}-nsfwjs-4.4.0`);
    return { files: loadNsfwjsModel(nsfw), id, normalization: NSFWJS_NORMALIZATION };
  }
  return {
    files: loadTfjsDirectory(resolve(spec)),
    id: safeId(`tfjs-${spec.split('/').filter(Boolean).pop() ?? 'model'}`),
    normalization: KERAS_MOBILENET_NORMALIZATION,
  };
}

/**
 * A preset names taps for its default backbone and may list the same depths in other backbones' layer names
 * (`altTaps`): the first set whose layers all exist in this backbone is used; `taps` when none fits, so an unknown
 * tap is reported against the preset's own names.
 */
function chooseTaps(graph: KerasGraph, model: ModelConfig): readonly string[] {
  const names = new Set(graph.layers.map((l) => l.name));
  const fits = (taps: readonly string[]): boolean => taps.every((t) => names.has(t));
  return [model.taps, ...(model.altTaps ?? [])].find(fits) ?? model.taps;
}

export function resolveBackbone(spec: string, model: ModelConfig): ResolvedBackbone {
  const { files, id, normalization } = backboneFiles(spec);
  const graph = parseKerasTopology(files.modelTopology);
  const taps = chooseTaps(graph, model);
  const plan = buildBackbonePlan(graph, decodeWeights(files.weightsManifest, files.shards), taps, model.inputSize);
  return { kind: 'native', id, spec: nsfwjsModel(spec) ? spec : resolve(spec), plan, taps, normalization };
}

/** Any backbone the trainer can train on: a native (Keras/TF.js) one or a user ONNX one. */
export type TrainingBackbone = ResolvedBackbone | ResolvedOnnxBackbone;

/** `resolveBackbone` plus `onnx:` specs (those are opened and probed, hence async). */
export async function openBackbone(spec: string, model: ModelConfig): Promise<TrainingBackbone> {
  return isOnnxSpec(spec) ? resolveOnnxBackbone(spec, model) : resolveBackbone(spec, model);
}

/**
 * The config a backbone trains with: an ONNX backbone brings its own input size and taps (grid scaled to match); a
 * native one the taps it was resolved with (the preset's `altTaps` for another backbone family), so the package
 * records the taps it really uses.
 */
export function backboneModel(backbone: TrainingBackbone, model: ModelConfig): ModelConfig {
  if (backbone.kind === 'onnx') return backbone.model;
  return backbone.taps === model.taps ? model : { ...model, taps: backbone.taps };
}
