/** Prints what a training run returns (package path and headline metrics). */
import type { TrainResult } from '../train/options.js';
import type { CliContext } from '../cli/command.js';

export function printResult(result: TrainResult | void, ctx: CliContext): void {
  if (!result) return;
  if (result.packageDir) ctx.stdout.write(`package: ${result.packageDir}\n`);
  for (const [k, v] of Object.entries(result.metrics ?? {})) ctx.stdout.write(`${k}: ${v}\n`);
}
