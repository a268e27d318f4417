/**
 * Loads `../train/index.js` on demand. The training code is written separately and may not exist in this build; the
 * specifier is a variable so the CLI compiles either way, and a missing module is a coded error, not a crash.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TrainerError } from '../errors.js';
import type { RunFinetune, RunTrain, TrainModule, TrainResult } from './train-options.js';
import type { CliContext } from '../cli/command.js';

const TRAIN_MODULE = '../train/index.js';

export async function loadTrainModule(): Promise<TrainModule> {
  const js = new URL(TRAIN_MODULE, import.meta.url);
  const ts = new URL(TRAIN_MODULE.replace(/\.js$/, '.ts'), import.meta.url);
  if (!existsSync(fileURLToPath(js)) && !existsSync(fileURLToPath(ts))) {
    throw new TrainerError('LW_TRAINER_NOT_AVAILABLE', 'training is not part of this build yet (no src/train/index)', { module: TRAIN_MODULE });
  }
  const specifier: string = TRAIN_MODULE;
  return (await import(specifier)) as TrainModule;
}

export async function requireRunner<K extends 'runTrain' | 'runFinetune'>(name: K): Promise<K extends 'runTrain' ? RunTrain : RunFinetune> {
  const mod = await loadTrainModule();
  const fn = mod[name];
  if (typeof fn !== 'function') throw new TrainerError('LW_TRAINER_NOT_AVAILABLE', `the training module does not export ${name}() yet`, { name });
  return fn as K extends 'runTrain' ? RunTrain : RunFinetune;
}

export function printResult(result: TrainResult | void, ctx: CliContext): void {
  if (!result) return;
  if (result.packageDir) ctx.stdout.write(`package: ${result.packageDir}\n`);
  for (const [k, v] of Object.entries(result.metrics ?? {})) ctx.stdout.write(`${k}: ${v}\n`);
}
