/** The training side of the CLI (see ../commands/train-options.ts for the contract). */
export { runFinetune, runTrain } from './pipeline.js';
