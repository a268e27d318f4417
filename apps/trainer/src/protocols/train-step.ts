/**
 * One item's model for a multi-item run: trained with the trainer's normal `runTrain` (the same code and package as
 * `linewatch-trainer train`), or — when an earlier, interrupted run of the same settings already wrote the package —
 * reused, so a rerun after a crash in evaluation does not train again.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readPackage } from '@linewatch/model-package';
import { TrainerError } from '../errors.js';
import type { Progress } from '../progress.js';
import { openBackbone, type TrainingBackbone } from '../train/backbone.js';
import type { BackboneChoice, Preset } from '../train/options.js';
import { decodeParams, PARAMS_FILE, type ModelRecord } from '../train/package.js';
import type { SettingsRequest } from '../train/overrides.js';
import { runTrain } from '../train/pipeline.js';
import type { ResultStore } from './result-store.js';

export interface TrainStep {
  /** Training data: MVTec-layout folder or JSONL manifest. */
  readonly data: string;
  /** Package folder to write (or reuse). */
  readonly out: string;
  readonly preset: Preset;
  readonly backbone: BackboneChoice;
  readonly privateKeyPath?: string;
  readonly threads?: number;
  /** Overrides of the preset's schedule (`--epochs`, `--config`), as `train` takes them. */
  readonly settings?: SettingsRequest;
}

export interface TrainedModel {
  readonly packageDir: string;
  readonly trainSeconds: number;
  /** True when an earlier run's package was reused. */
  readonly reused: boolean;
}

/** Trains `step` unless `trained` records a package made with the run's settings that is still there. */
export async function trainOrReuse(
  name: string,
  step: TrainStep,
  trained: ResultStore<{ trainSeconds: number }>,
  progress: Progress,
): Promise<TrainedModel> {
  const earlier = trained.get(name);
  if (earlier && existsSync(join(step.out, 'manifest.json')))
    return { packageDir: step.out, trainSeconds: earlier.trainSeconds, reused: true };
  rmSync(step.out, { recursive: true, force: true });
  const t0 = performance.now();
  await runTrain(
    {
      data: step.data,
      preset: step.preset,
      backbone: step.backbone,
      out: step.out,
      resume: false,
      ...(step.privateKeyPath ? { privateKeyPath: step.privateKeyPath } : {}),
      ...(step.settings ? { settings: step.settings } : {}),
      ...(step.threads !== undefined ? { runtime: { providers: ['cpu'], threads: step.threads } } : {}),
    },
    progress,
  );
  // Wall time of the whole `train` (features included), what a user waits for; the manifest's trainSeconds is the fit.
  const trainSeconds = (performance.now() - t0) / 1000;
  trained.put(name, { trainSeconds });
  return { packageDir: step.out, trainSeconds, reused: false };
}

/** The model record (config, backbone spec) a package was trained with, and that backbone opened. */
export async function packageBackbone(
  packageDir: string,
): Promise<{ record: ModelRecord; backbone: TrainingBackbone }> {
  const entry = readPackage(packageDir).find((e) => e.path === PARAMS_FILE);
  if (!entry)
    throw new TrainerError('LW_TRAINER_MODEL_INCOMPATIBLE', `${packageDir} has no ${PARAMS_FILE}`, {
      path: packageDir,
    });
  const { record } = decodeParams(entry.data);
  return { record, backbone: await openBackbone(record.backbone, record.model) };
}
