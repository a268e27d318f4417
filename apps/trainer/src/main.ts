/** Entry point of the `linewatch-trainer` bin (see bin/linewatch-trainer.js, which runs this file through tsx). */
import { runCli } from './cli/run.js';
import { COMMANDS } from './commands/index.js';

process.exitCode = await runCli(COMMANDS, process.argv.slice(2));
