/**
 * `npm run bench:oneclass -- --data <dir|fashion-mnist|cifar-10-batches-bin dir> [--json f] [--classes a,b]
 *   [--train-limit n] [--test-limit-per-class n] [--preset cpu] [--backbone nsfwjs[:<model>]|<dir>|onnx:<…>] [--out dir]
 *   [--no-knn] [--epochs n] [--lr x] [--batch n] [--seed n] [--config <file>] [--help]` (no --backbone: the preset's default, nsfwjs)
 *
 * The one-class protocol (src/protocols/one-class.ts, also `linewatch-trainer bench --protocol one-class`): per class,
 * ADTR trained on that class's training images, image AUROC on all test images with that class normal, and the kNN
 * baseline over the same backbone features as bench:accuracy's. The run folder (default dist/bench-oneclass/<data>)
 * keeps per-class results: a rerun with the same settings skips finished classes. JSON keys: perClass.<name>.imageAuroc,
 * meanImageAuroc, trainSeconds, knn.meanImageAuroc, knn.perClass, settings, machine (CPU count, load averages).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { CliContext } from '../src/cli/command.js';
import { parseBackbone } from '../src/commands/train.js';
import { settingsOption } from '../src/commands/train-settings.js';
import { runOneClass } from '../src/protocols/one-class.js';
import { itemSlug } from '../src/protocols/result-store.js';
import { createProgress } from '../src/progress.js';
import { PRESETS, type Preset } from '../src/train/options.js';

const repo = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: 'fashion-mnist' },
    json: { type: 'string' },
    classes: { type: 'string' },
    'train-limit': { type: 'string' },
    'test-limit-per-class': { type: 'string' },
    preset: { type: 'string', default: 'cpu' },
    backbone: { type: 'string' },
    out: { type: 'string' },
    'no-knn': { type: 'boolean', default: false },
    // The preset's schedule overridden as `train` takes it (part of the run's settings: a rerun must match).
    epochs: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    seed: { type: 'string' },
    config: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  const doc = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]!;
  console.log(doc.replace(/^\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
  process.exit(0);
}
const count = (name: 'train-limit' | 'test-limit-per-class'): number | undefined => {
  const v = args[name];
  if (v === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(v)) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return Number(v);
};
if (!(PRESETS as readonly string[]).includes(args.preset!))
  throw new Error(`--preset must be one of ${PRESETS.join(', ')}`);
const progress = createProgress(process.stderr);
const ctx: CliContext = { stdout: process.stdout, stderr: process.stderr, progress, cwd: process.cwd() };
const data = args.data === 'fashion-mnist' ? args.data : resolve(args.data!);
const trainLimit = count('train-limit');
const testLimitPerClass = count('test-limit-per-class');
const classes = args.classes
  ?.split(',')
  .map((c) => c.trim())
  .filter(Boolean);
const { report, files } = await runOneClass(
  {
    data,
    out: resolve(args.out ?? join(repo, 'dist', 'bench-oneclass', itemSlug(data))),
    selection: {
      ...(classes ? { classes } : {}),
      ...(trainLimit !== undefined ? { trainLimit } : {}),
      ...(testLimitPerClass !== undefined ? { testLimitPerClass } : {}),
    },
    preset: args.preset as Preset,
    backbone: parseBackbone(args.backbone, ctx, args.preset as Preset),
    knn: !args['no-knn'],
    ...settingsOption(args, ctx),
  },
  progress,
);
const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : v.toFixed(4));
const rows = Object.entries(report.perClass).map(
  ([name, r]) =>
    `${name.padEnd(14)} ADTR ${fmt(r.imageAuroc)}  kNN ${fmt(r.knn?.imageAuroc)}  train ${r.trainSeconds.toFixed(0)} s`,
);
rows.push(`${'mean'.padEnd(14)} ADTR ${fmt(report.meanImageAuroc)}  kNN ${fmt(report.knn?.meanImageAuroc)}`);
console.log(
  `\n${rows.join('\n')}\ntrain ${report.trainSeconds.toFixed(0)} s, total ${report.totalSeconds.toFixed(0)} s, load ${report.machine.loadavgStart.join(' ')} → ${report.machine.loadavgEnd.join(' ')}\n${files.join('\n')}`,
);
if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
