/**
 * What training and deployment do with an opened ONNX backbone:
 * - `OnnxFeatureExtractor`: image → the user's model (taps as outputs) → our grid graph (resize + concat) → token-grid
 *   features, the same values the merged model computes internally;
 * - `onnxInferenceModel`: the deployed `model.onnx` — the user's graph merged in front of our head, one `image` input,
 *   the usual anomaly-map and score outputs.
 */
import { createHash } from 'node:crypto';
import { mergeBackboneAndHead, onnx, type OnnxBackbone } from '@linewatch/backbones';
import { exportModel, type TensorData as GraphTensorData } from '@linewatch/graph';
import { float32, InferenceSession } from '@linewatch/inference';
import { AdtrError } from '../errors.js';
import type { ModelConfig } from '../model/config.js';
import { INPUT_NAME, MAP_OUTPUT, SCORE_OUTPUT } from '../model/graphs.js';
import { buildGridGraph, buildHeadGraph, tapInputName } from '../model/head-graphs.js';
import { checkOnnxConfig } from './config.js';

/** image [1,3,H,W] → anomaly map + score, with `paramValue` baked in (as exportModel's). */
export function onnxInferenceModel(
  backbone: OnnxBackbone,
  cfg: ModelConfig,
  paramValue: (name: string) => GraphTensorData,
  seed = 0,
): Uint8Array {
  checkOnnxConfig(backbone, cfg);
  const hg = buildHeadGraph(
    backbone.taps.map((t) => t.shape),
    cfg,
    seed,
  );
  const head = exportModel({
    graph: hg.graph,
    outputs: { [MAP_OUTPUT]: hg.map, [SCORE_OUTPUT]: hg.score },
    paramsAs: 'initializers',
    paramValue,
    keepInputs: hg.taps,
  });
  const [h, w] = cfg.inputSize;
  return mergeBackboneAndHead({
    backbone: backbone.model,
    backboneInput: backbone.inputName,
    backboneTaps: backbone.taps.map((t) => t.name),
    head: onnx.ModelProto.decode(head.bytes),
    headTapInputs: hg.taps.map((t) => t.name),
    imageName: INPUT_NAME,
    imageShape: [1, 3, h, w],
    modelName: 'linewatch-adtr',
  });
}

export class OnnxFeatureExtractor {
  private constructor(
    private readonly backbone: OnnxBackbone,
    private readonly cfg: ModelConfig,
    private readonly user: InferenceSession,
    private readonly grid: InferenceSession,
    /** sha256 of the user's tap model and our grid graph together: what turns an image into grid features. */
    readonly graphDigest: string,
  ) {}

  static async create(
    backbone: OnnxBackbone,
    cfg: ModelConfig,
    opts: { threads?: number } = {},
  ): Promise<OnnxFeatureExtractor> {
    checkOnnxConfig(backbone, cfg);
    const gg = buildGridGraph(
      backbone.taps.map((t) => t.shape),
      cfg,
      1,
    );
    const gridBytes = exportModel({
      graph: gg.graph,
      outputs: { features: gg.features },
      paramsAs: 'initializers',
      keepInputs: gg.taps,
    }).bytes;
    const threads = opts.threads ?? 2;
    const user = await InferenceSession.open(backbone.tapBytes, { intraOpThreads: threads });
    try {
      const digest = createHash('sha256').update(backbone.tapBytes).update(gridBytes).digest('hex');
      return new OnnxFeatureExtractor(
        backbone,
        cfg,
        user,
        await InferenceSession.open(gridBytes, { intraOpThreads: threads }),
        digest,
      );
    } catch (err) {
      await user.release();
      throw err;
    }
  }

  /** Channels of the grid features (sum over taps). */
  get channels(): number {
    return this.backbone.taps.reduce((a, t) => a + t.shape[0], 0);
  }

  /** A preprocessed image [3·H·W] (NCHW, manifest normalisation applied) → grid features [C·rows·cols]. */
  async run(image: Float32Array): Promise<Float32Array> {
    const [h, w] = this.cfg.inputSize;
    if (image.length !== 3 * h * w) {
      throw new AdtrError('LW_ADTR_CONFIG', `image has ${image.length} values, the backbone needs 3x${h}x${w}`);
    }
    const taps = await this.user.run({ [this.backbone.inputName]: float32(image, [1, 3, h, w]) });
    const feeds: Record<string, ReturnType<typeof float32>> = {};
    this.backbone.taps.forEach((t, i) => {
      const v = taps[t.name]!;
      feeds[tapInputName(i)] = float32(v.data as Float32Array, [...v.dims]);
    });
    const out = await this.grid.run(feeds);
    return Float32Array.from(out['features']!.data as Float32Array);
  }

  async release(): Promise<void> {
    await this.user.release();
    await this.grid.release();
  }
}
