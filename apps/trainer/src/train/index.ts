/** The training side of the CLI (see ./options.ts for the contract). */
export { runFinetune, runTrain } from './pipeline.js';
