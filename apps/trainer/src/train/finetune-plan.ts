/**
 * Which loss a fine-tune uses and which labels join it (`--loss px|img|auto`, `--confetti`), and the label counts the
 * package manifest records. `auto` uses every label in one run: anomalies with a mask train with L_px, anomalies
 * labelled at image level only with L_img, normals (sampled normals and rejected false alarms) as the negatives of
 * both — one combined loss per step (libs/adtr `lossMixed`) when both kinds of anomaly are present.
 */
import type { LossKind } from '@linewatch/adtr';
import { TrainerError } from '../errors.js';
import type { Progress } from '../progress.js';
import { DEFAULT_CONFETTI } from './confetti.js';
import type { TrainingImage, TrainingSet } from './data.js';
import type { FinetuneOptions } from './options.js';

/** A normal manifest line (label 0) with this `defectType` is a rejected false alarm (counted apart from normals). */
export const REJECTED_DEFECT_TYPE = 'rejected';

export interface FinetunePlan {
  readonly kind: Exclude<LossKind, 'norm'>;
  /** Labelled anomalies that join the run. */
  readonly anomalies: readonly TrainingImage[];
  /** Synthetic anomalies (with exact masks) added to the normals. */
  readonly confetti: number;
  /** Of `anomalies`: trained with their mask (L_px) and with the image label only (L_img). */
  readonly masked: number;
  readonly imageOnly: number;
}

/** auto: L_px where a mask exists (confetti brings exact masks), L_img where only the label does, both when mixed. */
function autoKind(withMasks: number, imageOnly: number): FinetunePlan['kind'] {
  if (withMasks > 0) return imageOnly > 0 ? 'mixed' : 'px';
  return imageOnly > 0 ? 'img' : 'px';
}

export function finetunePlan(opts: FinetuneOptions, set: TrainingSet, progress: Progress): FinetunePlan {
  const masked = set.anomalous.filter((a) => a.maskPath);
  const unmasked = set.anomalous.length - masked.length;
  // L_px treats unmasked tokens as normal, so an anomaly without a mask cannot join a px run: it would be pulled.
  const anomalies = opts.loss === 'px' ? masked : set.anomalous;
  const confetti = opts.confetti ?? (anomalies.length === 0 ? DEFAULT_CONFETTI : 0);
  const kind = opts.loss === 'auto' ? autoKind(masked.length + confetti, unmasked) : opts.loss;
  if (anomalies.length === 0 && confetti === 0) {
    throw new TrainerError(
      'LW_TRAINER_BAD_VALUE',
      `${opts.data} has no anomalous images${kind === 'px' && opts.loss === 'px' ? ' with masks' : ''} for ${opts.loss} fine-tuning, and confetti is off`,
    );
  }
  if (opts.loss === 'px' && unmasked > 0) progress.log(`px: ${unmasked} anomalies without masks left out`);
  const plan: FinetunePlan = {
    kind,
    anomalies,
    confetti,
    masked: kind === 'img' ? 0 : masked.length,
    imageOnly: kind === 'img' ? anomalies.length : kind === 'mixed' ? unmasked : 0,
  };
  if (kind === 'mixed')
    progress.log(`auto: ${plan.masked} masked anomalies with L_px and ${plan.imageOnly} image-labelled with L_img`);
  return plan;
}

/** The phase and loss-curve name of a fine-tune kind. */
export const lossLabel = (kind: FinetunePlan['kind']): string => (kind === 'mixed' ? 'L_px+L_img' : `L_${kind}`);

/**
 * Manifest metrics: how many labels of each kind the run used. Normals are the training normals (validation ones
 * excluded) that are not rejected false alarms; rejected ones are known only where the data says so
 * (REJECTED_DEFECT_TYPE in a manifest; an MVTec folder has none).
 */
export function labelMetrics(plan: FinetunePlan, normals: readonly TrainingImage[]): Record<string, number> {
  const rejected = normals.filter((n) => n.defectType === REJECTED_DEFECT_TYPE).length;
  return {
    labelsMasked: plan.masked,
    labelsImageOnly: plan.imageOnly,
    labelsNormals: normals.length - rejected,
    labelsRejected: rejected,
  };
}
