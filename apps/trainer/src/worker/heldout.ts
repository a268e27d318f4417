/**
 * Candidate and parent on the snapshot's held-out part, with the `eval` command's own loop and metrics (same
 * preprocessing as the agent, pixel AUROC at each image's resolution). The false-alarm rate is measured for both at
 * the PARENT's threshold — the one the fleet runs today — so "does the candidate raise more alarms on normal frames
 * at the current operating point" is answered on the same footing for both.
 */
import { readManifest } from '@linewatch/datasets';
import { MetricsErrorCodes, calibrateCounted, isMetricsError } from '@linewatch/metrics';
import type { ThresholdCalibration } from '@linewatch/protocol/http';
import type { Manifest } from '@linewatch/protocol';
import { MODEL_FILE } from '@linewatch/model-package';
import { TrainerError } from '../errors.js';
import { loadEvalData, type EvalSample } from '../eval/data.js';
import { evaluate, type PixelTruth, type SampleResult } from '../eval/evaluate.js';
import { metricSet } from '../eval/metrics.js';
import { heldOutByClass } from './heldout-classes.js';
import { openModel } from '../eval/model.js';
import type { Progress } from '../progress.js';
import { holdOut, loadTrainingSet } from '../train/data.js';
import type { OrtRuntime } from '../train/options.js';
import type { HeldOutMetrics } from './types.js';

export interface ScoredModel {
  readonly metrics: HeldOutMetrics;
  /** Scores of the held-out normal images (threshold calibration uses the candidate's). */
  readonly normalScores: readonly number[];
  /** Score and label of every held-out image, in the samples' order (the paired comparison with the parent). */
  readonly scores: readonly number[];
  readonly labels: readonly (0 | 1)[];
  /** Scores of the extra normal frames asked for (calibration only; not part of the metrics). */
  readonly extraScores: readonly number[];
  /** Map and mask at the model's input resolution per held-out image (null: an anomaly without a mask). */
  readonly pixels: readonly (PixelTruth | null)[];
}

/**
 * Fewest normal frames a job's threshold may be calibrated on. The 99.5th percentile of two frames is their maximum,
 * and "0 false alarms of 2" still allows 66 %: a job with fewer fails with a coded reason instead.
 */
export const MIN_CALIBRATION_NORMALS = 50;

/** The share of the train part's normal frames runFinetune keeps out of training (train/pipeline.ts). */
export const FINETUNE_VALIDATION_FRACTION = 0.1;

/**
 * The train part's normal frames the fine-tune did NOT train on (its validation share, same split function): scored
 * by the candidate they calibrate the threshold beside the held-out normals.
 */
export async function validationNormals(trainManifest: string): Promise<EvalSample[]> {
  const set = await loadTrainingSet(trainManifest);
  return holdOut(set.normal, FINETUNE_VALIDATION_FRACTION).validation.map((i) => ({
    path: i.path,
    maskPath: null,
    label: 0,
    defectType: 'good',
    source: i.path,
  }));
}

/** Known before training: enough unseen normal frames to calibrate on, else the coded refusal right away. */
export function checkCalibrationNormals(heldOutNormals: number, validation: number, minNormals: number): void {
  if (heldOutNormals + validation < minNormals) throw notEnoughNormals(heldOutNormals, validation, minNormals);
}

function notEnoughNormals(heldOut: number, validation: number, minNormals: number): TrainerError {
  const n = heldOut + validation;
  return new TrainerError(
    'LW_TRAINER_JOB_DATA',
    `not enough normal frames: ${n} of ${minNormals} to calibrate the threshold (${heldOut} held out + ${validation} kept from training); a threshold from so few frames is noise — collect more sampled normal frames or reject more false alarms, then run the job again`,
    { normals: n, needed: minNormals, heldOut, validation },
  );
}

/**
 * The candidate's threshold from every normal frame it did not train on (held-out normals + the fine-tune's
 * validation normals), with the false-alarm rate's interval; refuses below `minNormals`.
 */
export function calibrateJobThreshold(
  heldOutNormals: readonly number[],
  validation: readonly number[],
  minNormals: number,
): ThresholdCalibration {
  const all = [...heldOutNormals, ...validation];
  const quantile = 0.995;
  try {
    const c = calibrateCounted(all, { minNormals, quantile });
    return {
      threshold: c.threshold,
      quantile,
      normals: c.normals,
      minNormals,
      heldOutNormals: heldOutNormals.length,
      validationNormals: validation.length,
      falseAlarms: c.falseAlarms,
      falseAlarmRate: c.falseAlarmRate,
      lo: c.falseAlarmInterval.lo,
      hi: c.falseAlarmInterval.hi,
      confidence: c.confidence,
    };
  } catch (e) {
    if (!isMetricsError(e, MetricsErrorCodes.NOT_ENOUGH_DATA)) throw e;
    throw notEnoughNormals(heldOutNormals.length, validation.length, minNormals);
  }
}

export async function loadHeldOut(manifestPath: string): Promise<readonly EvalSample[]> {
  const data = await loadEvalData(manifestPath);
  if (!data.samples.some((s) => s.label === 0)) {
    throw new TrainerError(
      'LW_TRAINER_JOB_DATA',
      `the held-out part ${manifestPath} has no normal images: no threshold or false-alarm rate can be measured`,
      {
        path: manifestPath,
      },
    );
  }
  return data.samples;
}

/**
 * runFinetune keeps every 10th normal training frame aside to check its package's threshold, so a train part with
 * fewer than 10 normal frames cannot produce a package; say so up front, in QA's terms, instead of after training.
 */
export const MIN_TRAIN_NORMALS = 10;

export async function checkTrainPart(manifestPath: string): Promise<void> {
  const entries = await readManifest(manifestPath);
  const normals = entries.filter((e) => e.label === 0).length;
  if (normals < MIN_TRAIN_NORMALS) {
    throw new TrainerError(
      'LW_TRAINER_JOB_DATA',
      `the snapshot's training part has ${normals} normal frames (rejected false alarms); a fine-tune needs at least ${MIN_TRAIN_NORMALS}: reject more false alarms in review, then run the job again`,
      { normals, needed: MIN_TRAIN_NORMALS },
    );
  }
}

export function falseAlarmRate(results: readonly SampleResult[], threshold: number): number | null {
  const normals = results.filter((r) => r.label === 0);
  if (normals.length === 0) return null;
  return normals.filter((r) => r.score >= threshold).length / normals.length;
}

export async function scoreHeldOut(
  pkg: { manifest: Manifest; files: ReadonlyMap<string, Uint8Array> },
  samples: readonly EvalSample[],
  parentThreshold: number,
  progress: Progress,
  runtime?: OrtRuntime,
  extraNormals: readonly EvalSample[] = [],
): Promise<ScoredModel> {
  const onnx = pkg.files.get(MODEL_FILE);
  if (!onnx)
    throw new TrainerError('LW_TRAINER_MODEL_INCOMPATIBLE', `package ${pkg.manifest.version} has no ${MODEL_FILE}`);
  // One thread unless told: the worker host trains between scorings and the gate is a few hundred images.
  const model = await openModel(pkg.manifest, onnx, { threads: 1, ...runtime });
  try {
    // The gate compares candidate and parent at input resolution only (metricSet); original-size maps would be waste.
    const run = await evaluate(model, [...samples, ...extraNormals], progress, { imageResolution: false });
    // evaluate keeps the samples' order: the held-out images first, then the extra normals.
    const results = run.results.slice(0, samples.length);
    const m = metricSet(results);
    return {
      metrics: {
        imageAuroc: m.imageAuroc,
        pixelAuroc: m.pixelAuroc,
        falseAlarmRate: falseAlarmRate(results, parentThreshold),
        n: results.length,
        byClass: heldOutByClass(results),
      },
      normalScores: results.filter((r) => r.label === 0).map((r) => r.score),
      scores: results.map((r) => r.score),
      labels: results.map((r) => r.label),
      extraScores: run.results.slice(samples.length).map((r) => r.score),
      pixels: results.map((r) => r.pixels),
    };
  } finally {
    await model.release();
  }
}
