/** Public surface of the trainer app (for tests and the training code): the CLI runner, progress, errors, options. */
export { runCli, type RunOptions } from './cli/run.js';
export { COMMANDS } from './commands/index.js';
export {
  createProgress,
  silentProgress,
  formatDuration,
  type Progress,
  type ProgressExtra,
  type ProgressStream,
} from './progress.js';
export { TRAINER_ERRORS, TrainerError, isTrainerError, formatError, EXIT, type TrainerErrorCode } from './errors.js';
export type {
  TrainOptions,
  FinetuneOptions,
  BackboneChoice,
  Preset,
  FinetuneLoss,
  TrainResult,
  RunTrain,
  RunFinetune,
} from './train/options.js';
