/**
 * Candidate and parent on the snapshot's held-out part, with the `eval` command's own loop and metrics (same
 * preprocessing as the agent, pixel AUROC at each image's resolution). The false-alarm rate is measured for both at
 * the PARENT's threshold — the one the fleet runs today — so "does the candidate raise more alarms on normal frames
 * at the current operating point" is answered on the same footing for both.
 */
import { readManifest } from '@linewatch/datasets';
import type { Manifest } from '@linewatch/protocol';
import { MODEL_FILE } from '@linewatch/model-package';
import { TrainerError } from '../errors.js';
import { loadEvalData, type EvalSample } from '../eval/data.js';
import { evaluate, type SampleResult } from '../eval/evaluate.js';
import { metricSet } from '../eval/metrics.js';
import { openModel } from '../eval/model.js';
import type { Progress } from '../progress.js';
import type { OrtRuntime } from '../train/options.js';
import type { HeldOutMetrics } from './types.js';

export interface ScoredModel {
  readonly metrics: HeldOutMetrics;
  /** Scores of the held-out normal images (threshold calibration uses the candidate's). */
  readonly normalScores: readonly number[];
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
): Promise<ScoredModel> {
  const onnx = pkg.files.get(MODEL_FILE);
  if (!onnx)
    throw new TrainerError('LW_TRAINER_MODEL_INCOMPATIBLE', `package ${pkg.manifest.version} has no ${MODEL_FILE}`);
  // One thread unless told: the worker host trains between scorings and the gate is a few hundred images.
  const model = await openModel(pkg.manifest, onnx, { threads: 1, ...runtime });
  try {
    // The gate compares candidate and parent at input resolution only (metricSet); original-size maps would be waste.
    const run = await evaluate(model, samples, progress, { imageResolution: false });
    const m = metricSet(run.results);
    return {
      metrics: {
        imageAuroc: m.imageAuroc,
        pixelAuroc: m.pixelAuroc,
        falseAlarmRate: falseAlarmRate(run.results, parentThreshold),
        n: run.results.length,
      },
      normalScores: run.results.filter((r) => r.label === 0).map((r) => r.score),
    };
  } finally {
    await model.release();
  }
}
