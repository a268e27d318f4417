/**
 * Grid features per image: decode → preprocess (the package's own settings) → frozen backbone → taps on the token
 * grid. The backbone never trains, so features are cached on disk keyed by image bytes + settings (+ the vision
 * lib's PREPROCESS_REVISION) + backbone id (+ the ONNX file's sha256 for user ONNX backbones, which run as their own
 * model followed by our resize + concat) + the sha256 of the exported feature graph, so a change to how the backbone
 * is imported or how taps reach the grid (weights, folding, resize, intensity tap) never reuses old features.
 */
import { readFile } from 'node:fs/promises';
import { buildFeatureGraph, type ModelConfig } from '@linewatch/adtr';
import { FeatureCache, sha256Hex } from '@linewatch/datasets';
import { exportModel } from '@linewatch/graph';
import { float32, InferenceSession } from '@linewatch/inference';
import {
  decodeImage,
  PREPROCESS_REVISION,
  preprocessInto,
  readImageInfo,
  type PreprocessSettings,
  type RgbImage,
} from '@linewatch/vision';
import { TrainerError } from '../errors.js';
import type { ResolvedBackbone, TrainingBackbone } from './backbone.js';
import { onnxFeatureRunner } from './onnx-backbone.js';
import { preprocessSettings } from './settings.js';

export interface ExtractedFeatures {
  readonly features: Float32Array;
  readonly width: number;
  readonly height: number;
}

/** Preprocessed image [3·H·W] → grid features. */
interface FeatureRunner {
  /** sha256 of the ONNX graph(s) that compute the features from a preprocessed image. */
  readonly graphDigest: string;
  run(input: Float32Array): Promise<Float32Array>;
  release(): Promise<void>;
}

async function nativeRunner(backbone: ResolvedBackbone, model: ModelConfig, threads: number): Promise<FeatureRunner> {
  const fg = buildFeatureGraph(backbone.plan, model, 1);
  const bytes = exportModel({ graph: fg.graph, outputs: { features: fg.features }, paramsAs: 'initializers' }).bytes;
  const session = await InferenceSession.open(bytes, { intraOpThreads: threads });
  const [h, w] = model.inputSize;
  return {
    graphDigest: sha256Hex(bytes),
    run: async (input) =>
      Float32Array.from((await session.run({ image: float32(input, [1, 3, h, w]) }))['features']!.data as Float32Array),
    release: () => session.release(),
  };
}

export class FeatureExtractor {
  private readonly input: Float32Array;
  private readonly settings: PreprocessSettings;

  private constructor(
    private readonly runner: FeatureRunner,
    model: ModelConfig,
    private readonly cache: FeatureCache | undefined,
    settings: PreprocessSettings,
  ) {
    this.input = new Float32Array(3 * model.inputSize[0] * model.inputSize[1]);
    this.settings = settings;
  }

  static async create(
    backbone: TrainingBackbone,
    model: ModelConfig,
    opts: { cacheDir?: string; threads?: number } = {},
  ): Promise<FeatureExtractor> {
    const threads = opts.threads ?? 2;
    const runner =
      backbone.kind === 'onnx'
        ? await onnxFeatureRunner(backbone, model, threads)
        : await nativeRunner(backbone, model, threads);
    const settings = preprocessSettings(model, backbone);
    const cache = opts.cacheDir
      ? new FeatureCache({
          dir: opts.cacheDir,
          backboneId: `${backbone.kind === 'onnx' ? `${backbone.id}@${backbone.sha256}` : backbone.id}|${model.taps.join('+')}${model.intensityTap ? '+intensity' : ''}|${model.grid.join('x')}`,
          // The revision and the graph digest make features from older preprocessing or feature-graph code miss
          // instead of being reused.
          settings: { ...settings, preprocessRevision: PREPROCESS_REVISION, featureGraph: runner.graphDigest },
        })
      : undefined;
    return new FeatureExtractor(runner, model, cache, settings);
  }

  /** sha256 of the graph(s) computing the features; part of the cache key. */
  get graphDigest(): string {
    return this.runner.graphDigest;
  }

  get cacheStats(): { hits: number; misses: number } {
    return this.cache ? { hits: this.cache.stats.hits, misses: this.cache.stats.misses } : { hits: 0, misses: 0 };
  }

  async fromImage(image: RgbImage): Promise<Float32Array> {
    preprocessInto(this.input, image, this.settings);
    return this.runner.run(this.input);
  }

  async fromFile(path: string): Promise<ExtractedFeatures> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (err) {
      throw new TrainerError('LW_TRAINER_IO', `cannot read image ${path}`, { path }, { cause: err });
    }
    const compute = async () => {
      const data = await this.fromImage(await decodeImage(bytes));
      return { data, shape: [data.length] };
    };
    const { features } = this.cache ? await this.cache.getOrCompute(bytes, compute) : { features: await compute() };
    // Masks are checked against the image size; the header says it without decoding the image again.
    const info = await readImageInfo(bytes);
    return { features: features.data, width: info.width, height: info.height };
  }

  async release(): Promise<void> {
    await this.runner.release();
  }
}
