/** predict: per-image scores and verdicts of a packaged model on a folder or manifest, with heatmap overlays. */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { MODEL_FILE } from '@linewatch/model-package';
import { choice, existingPath, requireStr, strList } from '../cli/args.js';
import type { Command, CliContext, FlagValues } from '../cli/command.js';
import { parseRuntime, runtimeFlags } from '../cli/runtime.js';
import { TrainerError } from '../errors.js';
import { openModel } from '../eval/model.js';
import { loadKeys, loadPackage } from '../package-io.js';
import { loadPredictData } from '../predict/data.js';
import { OVERLAYS, predict } from '../predict/run.js';

/** A new or empty folder: predictions from two runs must not mix. */
function outDir(values: FlagValues, ctx: CliContext): string {
  const out = resolve(ctx.cwd, requireStr(values, 'out'));
  const st = statSync(out, { throwIfNoEntry: false });
  if (st && !(st.isDirectory() && readdirSync(out).length === 0))
    throw new TrainerError('LW_TRAINER_EXISTS', `--out ${out} already exists and is not an empty folder`, {
      path: out,
    });
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new TrainerError(
      'LW_TRAINER_IO',
      `cannot create ${out}: ${(e as Error).message}`,
      { path: out },
      { cause: e },
    );
  }
  return out;
}

export const predictCmd: Command = {
  name: 'predict',
  summary: 'Score images with a model package: per-image scores and verdicts (CSV, JSONL) and heatmap overlays.',
  usage:
    'predict --model <pkg> --data <dir|manifest.jsonl> --out <dir> [--overlays all|anomalous|none] [--key <public.pem>] [--split test|train] [--providers <list>] [--threads <n>] [--device-id <n>]',
  flags: {
    model: { type: 'string', value: '<pkg>', description: 'package directory or tarball', required: true },
    data: {
      type: 'string',
      value: '<dir|jsonl>',
      description: 'MVTec-layout folder (its test split), any folder of images (recursive), or a JSONL manifest',
      required: true,
    },
    out: {
      type: 'string',
      value: '<dir>',
      description: 'new or empty folder for predictions.csv, predictions.jsonl and overlays/',
      required: true,
    },
    overlays: {
      type: 'string',
      value: '<all|anomalous|none>',
      description: 'which images get a heatmap overlay PNG (default all)',
    },
    key: {
      type: 'string',
      value: '<public.pem>',
      description: 'verify the package signature (else only file digests are checked)',
      multiple: true,
    },
    split: { type: 'string', value: '<test|train>', description: 'split of an MVTec-layout folder (default test)' },
    ...runtimeFlags('eval'),
  },
  example: 'linewatch-trainer predict --model out/tile --data incoming/ --out out/predictions',
  async run(values, ctx) {
    const modelPath = existingPath(requireStr(values, 'model'), 'model', ctx.cwd);
    const dataPath = existingPath(requireStr(values, 'data'), 'data', ctx.cwd);
    const overlays = choice(values, 'overlays', OVERLAYS, 'all');
    const split = choice(values, 'split', ['test', 'train'] as const, 'test');
    const runtime = parseRuntime(values, 'eval');
    const keys = loadKeys(strList(values, 'key').map((k) => existingPath(k, 'key', ctx.cwd, 'file')));
    const pkg = loadPackage(modelPath, keys);
    const data = await loadPredictData(dataPath, split);
    const out = outDir(values, ctx);
    const threshold = pkg.manifest.threshold.value;
    ctx.stderr.write(
      `package ${pkg.manifest.modelId} ${pkg.manifest.version} (${pkg.verification === 'signature' ? 'signature verified' : 'digests checked, signature NOT verified'}), threshold ${threshold}; ${data.samples.length} images (${data.kind})\n`,
    );
    const model = await openModel(pkg.manifest, pkg.files.get(MODEL_FILE)!, runtime);
    try {
      const s = await predict(model, data.samples, { out, threshold, overlays }, ctx.progress);
      const { tp, fp, tn, fn } = s.confusion;
      const labelled = tp + fp + tn + fn;
      ctx.stdout.write(
        `${s.images} images: ${s.anomalous} anomalous, ${s.images - s.anomalous} ok at threshold ${threshold}\n` +
          (labelled > 0 ? `labelled ${labelled}: TP ${tp}  FP ${fp}  TN ${tn}  FN ${fn}\n` : '') +
          `wrote ${resolve(out, 'predictions.csv')}, ${resolve(out, 'predictions.jsonl')}` +
          `${overlays === 'none' ? '' : `, ${resolve(out, 'overlays')}/`}\n`,
      );
      return 0;
    } finally {
      await model.release();
    }
  },
};
