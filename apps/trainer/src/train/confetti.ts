/**
 * Synthetic "confetti" anomalies for fine-tuning (the ADTR paper's anomaly-available setting on MVTec-AD when no real
 * defects are labelled): seeded blobs and patches pasted into normal training images, each with its exact mask.
 * They are made in memory and never cached (the feature cache is keyed by file bytes; these have no file).
 */
import { readFile } from 'node:fs/promises';
import type { ModelConfig, TrainSample } from '@linewatch/adtr';
import { decodeImage, maskToInputGrid, pasteConfetti, type RgbImage } from '@linewatch/vision';
import { TrainerError } from '../errors.js';
import type { Progress } from '../progress.js';
import type { TrainingImage } from './data.js';
import type { FeatureExtractor } from './features.js';
import { fitSettings } from './settings.js';

/** Used when the data has no anomalies for the chosen loss and `--confetti` is not given. */
export const DEFAULT_CONFETTI = 100;
export const MAX_CONFETTI = 10_000;

function isGray(img: RgbImage): boolean {
  const d = img.data;
  for (let i = 0; i < d.length; i += 3) if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) return false;
  return true;
}

/**
 * `count` anomalies, the i-th pasted into normals[i · n / count] (sorted by path, so runs repeat) with seed i.
 * With `withMasks` each carries its token labels, cut exactly as a labelled mask would be (see data.ts tokenMask).
 */
export async function confettiSamples(
  extractor: Pick<FeatureExtractor, 'fromImage'>,
  normals: readonly TrainingImage[],
  count: number,
  model: Pick<ModelConfig, 'grid' | 'inputSize' | 'fit'>,
  progress: Progress,
  withMasks: boolean,
): Promise<TrainSample[]> {
  if (normals.length === 0)
    throw new TrainerError('LW_TRAINER_BAD_VALUE', 'confetti anomalies need normal training images to paste into');
  const sources = [...normals].sort((a, b) => a.path.localeCompare(b.path));
  progress.start(count, 'confetti');
  const out: TrainSample[] = [];
  for (let i = 0; i < count; i++) {
    const src = sources[Math.floor((i * sources.length) / count)]!;
    let image: RgbImage;
    try {
      image = await decodeImage(new Uint8Array(await readFile(src.path)));
    } catch (err) {
      throw new TrainerError('LW_TRAINER_IO', `cannot read image ${src.path}`, { path: src.path }, { cause: err });
    }
    const { image: pasted, mask } = pasteConfetti(image, { seed: `confetti-${i}`, grayscale: isGray(image) });
    const features = await extractor.fromImage(pasted);
    if (withMasks) {
      const grid = maskToInputGrid(mask, model.grid[1], model.grid[0], fitSettings(model), { minFraction: 1e-9 });
      out.push({ features, label: 1, tokenMask: Float32Array.from(grid.labels) });
    } else out.push({ features, label: 1 });
    progress.tick(1);
  }
  progress.done();
  return out;
}
