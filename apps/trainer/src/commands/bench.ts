/**
 * bench: evaluation protocols over many runs — `--protocol categories` (a root of MVTec-layout categories, one model
 * per category) and `--protocol one-class` (a dataset of classes, one model per normal class). The work is in
 * ../protocols; this file turns flags into their options.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadPrivateKey } from '@linewatch/model-package';
import { bool, choice, existingPath, positiveInt, requireStr, str, strList } from '../cli/args.js';
import type { CliContext, Command, FlagValues } from '../cli/command.js';
import { TrainerError } from '../errors.js';
import { runCategories } from '../protocols/categories.js';
import { runOneClass } from '../protocols/one-class.js';
import { PRESETS } from '../train/options.js';
import { settingFlags, settingsOption } from './train-settings.js';
import { parseBackbone } from './train.js';

export const PROTOCOLS = ['categories', 'one-class'] as const;

const list = (values: FlagValues, name: string): string[] | undefined => {
  const v = str(values, name);
  return v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
};

const optionalInt = (values: FlagValues, name: string): number | undefined =>
  str(values, name) === undefined ? undefined : positiveInt(values, name, 1, 10_000_000);

function common(values: FlagValues, ctx: CliContext) {
  const key = str(values, 'key');
  const privateKeyPath = key === undefined ? undefined : existingPath(key, 'key', ctx.cwd, 'file');
  if (privateKeyPath) loadPrivateKey(privateKeyPath); // fail now, not after the first category has trained
  const threads = str(values, 'threads') === undefined ? undefined : positiveInt(values, 'threads', 2, 256);
  const preset = choice(values, 'preset', PRESETS, 'cpu');
  return {
    out: resolve(ctx.cwd, requireStr(values, 'out')),
    preset,
    backbone: parseBackbone(str(values, 'backbone'), ctx, preset),
    ...(privateKeyPath ? { privateKeyPath } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...settingsOption(values, ctx),
  };
}

function only(values: FlagValues, protocol: string, flags: readonly string[]): void {
  const bad = flags.find((f) => values[f] !== undefined);
  if (bad)
    throw new TrainerError('LW_TRAINER_BAD_VALUE', `--${bad} does not apply to --protocol ${protocol}`, { flag: bad });
}

export const bench: Command = {
  name: 'bench',
  summary: 'Run an evaluation protocol: per-category (MVTec AD / VisA layout) or one-class (classes, CIFAR-10, IDX).',
  usage:
    'bench --protocol categories|one-class --data <dir|fashion-mnist> --out <dir> [--classes a,b] [--categories a,b] [--models <dir>] [--train-limit <n>] [--test-limit-per-class <n>] [--test-limit-per-type <n>] [--preset <p>] [--backbone <b>] [--key <private.pem>] [--no-knn] [--threads <n>] [--epochs <n>] [--lr <x>] [--batch <n>] [--seed <n>] [--config <file>]',
  flags: {
    protocol: { type: 'string', value: '<categories|one-class>', description: 'which protocol to run', required: true },
    data: {
      type: 'string',
      value: '<dir>',
      description:
        'categories: a folder of MVTec-layout categories (or one); one-class: a folder of classes, a CIFAR-10 binary folder, an IDX folder, or fashion-mnist',
      required: true,
    },
    out: {
      type: 'string',
      value: '<dir>',
      description: 'run folder: results.{json,md,png}, per-item results (a rerun skips finished items), models, evals',
      required: true,
    },
    preset: { type: 'string', value: `<${PRESETS.join('|')}>`, description: 'training preset (default cpu)' },
    backbone: { type: 'string', value: '<nsfwjs|dir|onnx:…>', description: 'frozen backbone (default nsfwjs)' },
    key: { type: 'string', value: '<private.pem>', description: 'sign the trained packages with this key' },
    'train-limit': { type: 'string', value: '<n>', description: 'at most n training images per class / category' },
    classes: { type: 'string', value: '<a,b>', description: 'one-class: the normal classes to run (default all)' },
    'test-limit-per-class': {
      type: 'string',
      value: '<n>',
      description: 'one-class: at most n test images of each class',
    },
    'no-knn': { type: 'boolean', description: 'one-class: skip the kNN baseline' },
    categories: { type: 'string', value: '<a,b>', description: 'categories: the categories to run (default all)' },
    models: {
      type: 'string',
      value: '<dir>',
      description: 'categories: evaluate <dir>/<category> packages instead of training',
    },
    'public-key': {
      type: 'string',
      value: '<public.pem>',
      description: "categories: verify given packages' signatures",
      multiple: true,
    },
    'test-limit-per-type': {
      type: 'string',
      value: '<n>',
      description: 'categories: at most n test images per test folder',
    },
    threads: { type: 'string', value: '<n>', description: 'onnxruntime intra-op threads (default 2)' },
    ...settingFlags,
  },
  example:
    'linewatch-trainer bench --protocol one-class --data fashion-mnist --train-limit 500 --test-limit-per-class 200 --out out/fmnist',
  async run(values, ctx) {
    const protocol = choice(values, 'protocol', PROTOCOLS);
    const trainLimit = optionalInt(values, 'train-limit');
    const limit = trainLimit !== undefined ? { trainLimit } : {};
    let files: string[];
    if (protocol === 'one-class') {
      only(values, protocol, ['categories', 'models', 'public-key', 'test-limit-per-type']);
      const data = requireStr(values, 'data');
      const testLimitPerClass = optionalInt(values, 'test-limit-per-class');
      const classes = list(values, 'classes');
      ({ files } = await runOneClass(
        {
          ...common(values, ctx),
          data: data === 'fashion-mnist' ? data : existingPath(data, 'data', ctx.cwd, 'dir'),
          selection: { ...limit, ...(classes ? { classes } : {}), ...(testLimitPerClass ? { testLimitPerClass } : {}) },
          knn: !bool(values, 'no-knn'),
        },
        ctx.progress,
      ));
    } else {
      only(values, protocol, ['classes', 'test-limit-per-class', 'no-knn']);
      const categories = list(values, 'categories');
      const models = str(values, 'models');
      const testLimitPerType = optionalInt(values, 'test-limit-per-type');
      const keys = strList(values, 'public-key').map((k) => existingPath(k, 'public-key', ctx.cwd, 'file'));
      ({ files } = await runCategories(
        {
          ...common(values, ctx),
          root: existingPath(requireStr(values, 'data'), 'data', ctx.cwd, 'dir'),
          ...limit,
          ...(categories ? { categories } : {}),
          ...(models ? { models: existingPath(models, 'models', ctx.cwd, 'dir') } : {}),
          ...(testLimitPerType ? { testLimitPerType } : {}),
          ...(keys.length ? { keys } : {}),
        },
        ctx.progress,
      ));
    }
    const markdown = files.find((f) => f.endsWith('.md'));
    if (markdown) ctx.stdout.write(readFileSync(markdown, 'utf8'));
    ctx.stdout.write(`wrote ${files.join(', ')}\n`);
    return 0;
  },
};
