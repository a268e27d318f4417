/**
 * The evaluation loop: one image at a time (bounded memory: the decoded frame is dropped after scoring), keeping the
 * image score and — for images with pixel truth — the map and mask twice: at the model's input resolution (the
 * pixel metrics' definition: the map as the model outputs it, a letterbox's bands cropped off, the mask resized to
 * it), and at the image's own resolution (the map stretched over the original frame; reported beside).
 */
import { loadImage, loadMask } from '@linewatch/datasets';
import { TrainerError, codeOf } from '../errors.js';
import type { Progress } from '../progress.js';
import type { EvalSample } from './data.js';
import { mapAtImageSize, pixelsAtInput, type EvalModel } from './model.js';

export interface SampleResult {
  readonly sample: EvalSample;
  readonly label: 0 | 1;
  readonly score: number;
  /** Map at the model's input resolution and the mask resized to it (0/1), present when the sample has pixel truth. */
  readonly pixels: PixelTruth | null;
  /** The same at the image's original resolution (map stretched over the frame, mask as loaded); null when not asked for. */
  readonly imagePixels: PixelTruth | null;
}

export interface PixelTruth {
  readonly map: Float32Array;
  readonly mask: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface EvalRun {
  readonly results: readonly SampleResult[];
  /** Smallest and largest anomaly-map value seen: one colour range for every heatmap in the report. */
  readonly mapRange: readonly [number, number];
}

export interface EvaluateOptions {
  /** Also keep maps at each image's original resolution (`imagePixels`); default true. */
  readonly imageResolution?: boolean;
}

export async function evaluate(
  model: EvalModel,
  samples: readonly EvalSample[],
  progress: Progress,
  opts: EvaluateOptions = {},
): Promise<EvalRun> {
  const keepImageRes = opts.imageResolution ?? true;
  const results: SampleResult[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  progress.start(samples.length, 'eval');
  try {
    for (const sample of samples) {
      try {
        const image = await loadImage(sample);
        const mask = sample.maskPath !== null || sample.label === 0 ? await loadMask(sample, image) : null;
        const label: 0 | 1 = sample.label ?? (mask?.data.some((v) => v !== 0) ? 1 : 0);
        const { map, score } = await model.score(image);
        for (let i = 0; i < map.data.length; i++) {
          const v = map.data[i]!;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        const pixels = mask ? pixelsAtInput(map, mask, model.settings) : null;
        const imagePixels =
          mask && keepImageRes
            ? {
                map: mapAtImageSize(map, image, model.settings).data,
                mask: mask.data,
                width: image.width,
                height: image.height,
              }
            : null;
        results.push({ sample, label, score, pixels, imagePixels });
      } catch (e) {
        // Coded lib errors already name the file; anything else gets wrapped so the message still says which one.
        if (codeOf(e)) throw e;
        throw new TrainerError(
          'LW_TRAINER_EVAL_FAILED',
          `${sample.source}: ${(e as Error).message}`,
          { path: sample.path },
          { cause: e },
        );
      }
      progress.tick(1, { score: results.at(-1)!.score });
    }
  } finally {
    progress.done();
  }
  return { results, mapRange: lo <= hi ? [lo, hi] : [0, 1] };
}
