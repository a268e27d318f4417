/**
 * Runs the CLI's own `eval` in-process on a package and reads its JSON back: the benches report exactly what a user's
 * `linewatch-trainer eval` would (image AUROC, pixel AUROC, AUPRO, pixel metrics null with a reason when masks are
 * missing), with no second copy of the evaluation.
 */
import { readFileSync } from 'node:fs';
import type { CliContext } from '../cli/command.js';
import { evalCmd, type EvalJson } from '../commands/eval.js';
import type { Progress } from '../progress.js';

const sink = { write: () => true };

export interface EvalPackageOptions {
  readonly model: string;
  /** MVTec-layout folder or JSONL manifest. */
  readonly data: string;
  readonly json: string;
  /** Also write eval's report folder (ROC curves, heatmaps). */
  readonly report?: string;
  /** Public keys: verify the package's signature (else only its digests). */
  readonly keys?: readonly string[];
  readonly threads?: number;
}

export async function evalPackage(opts: EvalPackageOptions, progress: Progress, cwd: string): Promise<EvalJson> {
  const ctx: CliContext = { stdout: sink, stderr: sink, progress, cwd };
  const values = {
    model: opts.model,
    data: opts.data,
    json: opts.json,
    ...(opts.report !== undefined ? { report: opts.report } : {}),
    ...(opts.keys?.length ? { key: [...opts.keys] } : {}),
    ...(opts.threads !== undefined ? { threads: String(opts.threads) } : {}),
  };
  await evalCmd.run(values, ctx);
  return JSON.parse(readFileSync(opts.json, 'utf8')) as EvalJson;
}
