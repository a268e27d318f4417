/**
 * `--backbone onnx:<dir|backbone.json>`: a user-supplied ONNX backbone with its manifest (format in README). Training
 * features come from the user's model + our resize/concat graph; the package's model.onnx is the user's graph merged
 * in front of our head; preprocessing (size, normalisation, channel order) is the manifest's.
 */
import { resolve } from 'node:path';
import { onnxInferenceModel, onnxModelConfig, OnnxFeatureExtractor, type ModelConfig } from '@linewatch/adtr';
import { openOnnxBackbone, type OnnxBackbone } from '@linewatch/backbones';
import { TrainerError } from '../errors.js';

export const ONNX_SPEC_PREFIX = 'onnx:';

export function isOnnxSpec(spec: string): boolean {
  return spec.startsWith(ONNX_SPEC_PREFIX);
}

export interface ResolvedOnnxBackbone {
  readonly kind: 'onnx';
  readonly id: string;
  readonly spec: string;
  readonly sha256: string;
  readonly normalization: {
    readonly mean: readonly [number, number, number];
    readonly std: readonly [number, number, number];
    readonly scale: number;
    readonly channelOrder: 'RGB' | 'BGR';
  };
  /** The preset's config adapted to the backbone: its input size and taps, the grid scaled to keep the stride. */
  readonly model: ModelConfig;
  readonly onnx: OnnxBackbone;
}

export async function resolveOnnxBackbone(spec: string, model: ModelConfig): Promise<ResolvedOnnxBackbone> {
  const path = resolve(spec.slice(ONNX_SPEC_PREFIX.length));
  const bb = await openOnnxBackbone(path);
  const n = bb.manifest.normalization;
  return {
    kind: 'onnx',
    id: bb.id,
    spec: `${ONNX_SPEC_PREFIX}${bb.manifestPath}`,
    sha256: bb.sha256,
    normalization: { mean: n.mean, std: n.std, scale: n.scale, channelOrder: n.channelOrder },
    model: onnxModelConfig(bb, model),
    onnx: bb,
  };
}

/** Feature extraction with the same signature as the native feature session: preprocessed image → grid features. */
export async function onnxFeatureRunner(
  backbone: ResolvedOnnxBackbone,
  model: ModelConfig,
  threads: number,
): Promise<{ graphDigest: string; run: (input: Float32Array) => Promise<Float32Array>; release: () => Promise<void> }> {
  const ex = await OnnxFeatureExtractor.create(backbone.onnx, model, { threads });
  return { graphDigest: ex.graphDigest, run: (input) => ex.run(input), release: () => ex.release() };
}

export function onnxPackageModel(
  backbone: ResolvedOnnxBackbone,
  model: ModelConfig,
  params: ReadonlyMap<string, Float32Array>,
): Uint8Array {
  return onnxInferenceModel(backbone.onnx, model, (name) => {
    const v = params.get(name);
    if (!v) throw new TrainerError('LW_TRAINER_MODEL_INCOMPATIBLE', `trained parameters lack ${name}`);
    return v;
  });
}
