/**
 * The model under evaluation: model.onnx from a verified package opened with @linewatch/inference, fed through the
 * manifest's own preprocessing (the same recipe the agent uses), returning the anomaly map and the image score.
 */
import { InferenceSession, float32, type TensorData } from '@linewatch/inference';
import type { Manifest } from '@linewatch/protocol';
import {
  mapContent,
  mapToImage,
  maskAtInput,
  preprocessInto,
  preprocessShape,
  settingsFromManifest,
  type BinaryMask,
  type FitSettings,
  type FloatMap,
  type PreprocessSettings,
  type RgbImage,
} from '@linewatch/vision';
import { TrainerError } from '../errors.js';

export interface ScoredImage {
  /** The anomaly map at the model's output resolution. */
  readonly map: FloatMap;
  readonly score: number;
}

export interface EvalModel {
  readonly settings: PreprocessSettings;
  readonly provider: string;
  score(image: RgbImage): Promise<ScoredImage>;
  release(): Promise<void>;
}

export interface OpenModelOptions {
  readonly providers?: readonly string[];
  readonly threads?: number;
  /** GPU ordinal for cuda/tensorrt. */
  readonly deviceId?: number;
}

function incompatible(message: string, details: Record<string, unknown> = {}): TrainerError {
  return new TrainerError('LW_TRAINER_MODEL_INCOMPATIBLE', message, details);
}

export async function openModel(manifest: Manifest, onnx: Uint8Array, opts: OpenModelOptions = {}): Promise<EvalModel> {
  const settings = settingsFromManifest(manifest);
  const dims = preprocessShape(settings);
  const session = await InferenceSession.open(onnx, {
    executionProviders: opts.providers ?? ['cpu'],
    ...(opts.threads !== undefined ? { intraOpThreads: opts.threads } : {}),
    ...(opts.deviceId !== undefined ? { deviceId: opts.deviceId } : {}),
  });
  try {
    const input = session.inputs.find((i) => i.name === 'image');
    if (!input || session.inputs.length !== 1)
      throw incompatible(`model inputs are [${session.inputNames.join(', ')}], expected [image]`);
    const fixedOk =
      input.shape.length === 4 && input.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === dims[i]);
    if (!fixedOk)
      throw incompatible(`model input image is [${input.shape.join(',')}], manifest says [${dims.join(',')}]`);
    for (const name of ['anomaly_map', 'score']) {
      if (!session.outputNames.includes(name))
        throw incompatible(`model outputs are [${session.outputNames.join(', ')}], missing ${name}`);
    }
  } catch (e) {
    await session.release();
    throw e;
  }
  // One input buffer for the whole run: preprocessInto overwrites it, and each run is awaited before the next frame.
  const buffer = new Float32Array(dims.reduce((a, b) => a * b, 1));
  return {
    settings,
    provider: session.provider,
    async score(image) {
      preprocessInto(buffer, image, settings);
      const out = await session.run({ image: float32(buffer, dims) }, ['anomaly_map', 'score']);
      return { map: mapOf(out['anomaly_map']), score: scoreOf(out['score']) };
    },
    release: () => session.release(),
  };
}

function mapOf(t: TensorData | undefined): FloatMap {
  const d = t?.dims ?? [];
  if (!t || t.type !== 'float32' || d.length !== 4 || d[0] !== 1 || d[1] !== 1) {
    throw incompatible(`anomaly_map must be float32 [1,1,h,w], got ${t?.type ?? 'nothing'} [${d.join(',')}]`);
  }
  return { width: d[3]!, height: d[2]!, data: t.data as Float32Array };
}

function scoreOf(t: TensorData | undefined): number {
  if (!t || t.type !== 'float32' || t.data.length !== 1)
    throw incompatible(`score must be float32 [1], got ${t?.type ?? 'nothing'} [${(t?.dims ?? []).join(',')}]`);
  const v = Number(t.data[0]);
  if (Number.isNaN(v)) throw new TrainerError('LW_TRAINER_MODEL_INCOMPATIBLE', 'model returned a NaN score');
  return v;
}

/**
 * The map at the image's own resolution (bilinear, corners aligned: heatmap overlays and the image-resolution pixel
 * figures); a letterboxed model's map is first cropped to the rectangle the image occupied in the input.
 */
export function mapAtImageSize(
  map: FloatMap,
  image: { width: number; height: number },
  settings: PreprocessSettings,
): FloatMap {
  if (settings.fit !== 'letterbox' && map.width === image.width && map.height === image.height) return map;
  return mapToImage(map, image.width, image.height, settings);
}

/**
 * Map and mask at the model's input resolution: the map as output (a letterboxed model's map cropped to the frame's
 * content rectangle), the mask resized to the same size by nearest sampling. Every frame then weighs what it weighed
 * in the model input, whatever its original size.
 */
export function pixelsAtInput(
  map: FloatMap,
  mask: BinaryMask,
  settings: FitSettings,
): { map: Float32Array; mask: Uint8Array; width: number; height: number } {
  const content = mapContent(map, mask.width, mask.height, settings);
  // A stretched model's map may come at any size: the mask follows the map rather than the nominal input size.
  const m = maskAtInput(mask, { ...settings, inputWidth: map.width, inputHeight: map.height });
  return { map: content.data, mask: m.data, width: content.width, height: content.height };
}
