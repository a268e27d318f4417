/** train / finetune: flag parsing and validation into typed options; the work is in ../train (see ../train/options.ts). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NSFWJS_MODELS, readBackboneManifest, type NsfwjsModel } from '@linewatch/backbones';
import { loadPrivateKey } from '@linewatch/model-package';
import { bool, choice, existingPath, nonNegativeInt, positiveInt, requireStr, str } from '../cli/args.js';
import type { Command, CliContext, FlagValues } from '../cli/command.js';
import { parseRuntime, runtimeFlags } from '../cli/runtime.js';
import { TrainerError } from '../errors.js';
import { runFinetune, runTrain } from '../train/index.js';
import { MIN_LOCAL_CALIBRATION_NORMALS } from '../train/calibration-minimum.js';
import { DEFAULT_CONFETTI, MAX_CONFETTI } from '../train/confetti.js';
import { ONNX_SPEC_PREFIX } from '../train/onnx-backbone.js';
import {
  FINETUNE_LOSSES,
  PRESET_BACKBONE,
  PRESETS,
  type BackboneChoice,
  type FinetuneOptions,
  type Preset,
  type TrainOptions,
} from '../train/options.js';
import { printResult } from './print-result.js';
import { settingFlags, settingsOption } from './train-settings.js';

function signingKey(values: FlagValues, ctx: CliContext): { privateKeyPath?: string } {
  const key = str(values, 'key');
  if (key === undefined) return {};
  const path = existingPath(key, 'key', ctx.cwd, 'file');
  loadPrivateKey(path); // fail now, not after hours of training
  return { privateKeyPath: path };
}

/** The output folder must be new (or empty) unless --resume continues a run there. */
function outDir(values: FlagValues, ctx: CliContext, resume: boolean): string {
  const out = resolve(ctx.cwd, requireStr(values, 'out'));
  const st = statSync(out, { throwIfNoEntry: false });
  if (resume && !st?.isDirectory())
    throw new TrainerError('LW_TRAINER_BAD_VALUE', `--resume needs an existing run folder at ${out}`, { path: out });
  if (!resume && st && !(st.isDirectory() && readdirSync(out).length === 0)) {
    throw new TrainerError('LW_TRAINER_EXISTS', `--out ${out} already exists (pass --resume to continue that run)`, {
      path: out,
    });
  }
  return out;
}

/** `--backbone`; without it the preset's own default (`PRESET_BACKBONE`), nsfwjs's MobileNetV2 when none is known. */
export function parseBackbone(flag: string | undefined, ctx: CliContext, preset?: Preset): BackboneChoice {
  const value = flag ?? (preset ? PRESET_BACKBONE[preset] : undefined);
  if (value === undefined || value === 'nsfwjs') return { kind: 'nsfwjs' };
  if (value.startsWith('nsfwjs:')) {
    const model = value.slice('nsfwjs:'.length);
    if (!(NSFWJS_MODELS as readonly string[]).includes(model))
      throw new TrainerError(
        'LW_TRAINER_BAD_VALUE',
        `--backbone ${value}: nsfwjs bundles ${NSFWJS_MODELS.map((m) => `nsfwjs:${m}`).join(', ')}`,
        { value },
      );
    return { kind: 'nsfwjs', model: model as NsfwjsModel };
  }
  if (value.startsWith(ONNX_SPEC_PREFIX)) {
    // The manifest is read (and schema-checked) now so a typo fails before the dataset is touched; the ONNX file
    // itself is checked when training opens it.
    const path = existingPath(value.slice(ONNX_SPEC_PREFIX.length), 'backbone', ctx.cwd);
    return { kind: 'onnx', path: readBackboneManifest(path).manifestPath };
  }
  const dir = existingPath(value, 'backbone', ctx.cwd, 'dir');
  if (!existsSync(join(dir, 'model.json')))
    throw new TrainerError(
      'LW_TRAINER_BAD_VALUE',
      `--backbone ${dir} has no model.json (expected a TF.js model folder)`,
      { path: dir },
    );
  return { kind: 'tfjs-dir', dir };
}

export function parseTrainOptions(values: FlagValues, ctx: CliContext): TrainOptions {
  const resume = bool(values, 'resume');
  const preset = choice(values, 'preset', PRESETS);
  return {
    data: existingPath(requireStr(values, 'data'), 'data', ctx.cwd, 'dir'),
    preset,
    backbone: parseBackbone(str(values, 'backbone'), ctx, preset),
    out: outDir(values, ctx, resume),
    resume,
    ...signingKey(values, ctx),
    runtime: parseRuntime(values, 'train'),
    ...settingsOption(values, ctx),
    minCalibrationNormals: minCalibrationNormals(values),
  };
}

export function parseFinetuneOptions(values: FlagValues, ctx: CliContext): FinetuneOptions {
  const resume = bool(values, 'resume');
  const data = existingPath(requireStr(values, 'data'), 'data', ctx.cwd);
  return {
    from: existingPath(requireStr(values, 'from'), 'from', ctx.cwd),
    data,
    dataKind: statSync(data).isDirectory() ? 'mvtec' : 'manifest',
    loss: choice(values, 'loss', FINETUNE_LOSSES),
    ...(str(values, 'confetti') !== undefined ? { confetti: nonNegativeInt(values, 'confetti', MAX_CONFETTI) } : {}),
    ...(bool(values, 'freeze-decoder') ? { freezeDecoder: true } : {}),
    out: outDir(values, ctx, resume),
    resume,
    ...signingKey(values, ctx),
    runtime: parseRuntime(values, 'train'),
    ...settingsOption(values, ctx),
    minCalibrationNormals: minCalibrationNormals(values),
  };
}

const minCalibrationNormals = (values: FlagValues): number =>
  positiveInt(values, 'min-calibration-normals', MIN_LOCAL_CALIBRATION_NORMALS, 1_000_000);

const minNormalsFlag = {
  type: 'string',
  value: '<n>',
  description: `fewest normal images kept from training (the validation share) the threshold may be calibrated on; fewer refuse the run before training: "not enough normal frames: N of M" (default ${MIN_LOCAL_CALIBRATION_NORMALS})`,
} as const;

const keyFlag = {
  type: 'string',
  value: '<private.pem>',
  description: 'sign the resulting package with this Ed25519 key',
} as const;
const resumeFlag = { type: 'boolean', description: 'continue the interrupted run in --out' } as const;

export const train: Command = {
  name: 'train',
  summary: 'Train an ADTR model on an MVTec-layout dataset and write a (signed) model package.',
  usage:
    'train --data <dir> --preset cpu|paper|tiny|demo|semantic [--backbone nsfwjs|nsfwjs:<model>|<tfjs dir>|onnx:<dir|backbone.json>] --out <dir> [--resume] [--key <private.pem>] [--epochs <n>] [--lr <x>] [--batch <n>] [--seed <n>] [--config <file>] [--min-calibration-normals <n>] [--providers cpu|cuda] [--threads <n>] [--device-id <n>]',
  flags: {
    data: { type: 'string', value: '<dir>', description: 'MVTec-layout dataset folder', required: true },
    preset: { type: 'string', value: '<cpu|paper|tiny|demo|semantic>', description: 'training preset', required: true },
    backbone: {
      type: 'string',
      value: '<nsfwjs|dir|onnx:path>',
      description:
        'frozen backbone: nsfwjs (MobileNetV2, the default), nsfwjs:<model> (mobilenet_v2_mid, inception_v3), a TF.js model folder, or onnx:<dir|backbone.json> (user ONNX + manifest)',
    },
    out: {
      type: 'string',
      value: '<dir>',
      description: 'output folder (new or empty unless --resume)',
      required: true,
    },
    resume: resumeFlag,
    key: keyFlag,
    ...settingFlags,
    'min-calibration-normals': minNormalsFlag,
    ...runtimeFlags('train'),
  },
  example:
    'linewatch-trainer train --data ../shared/data/magnetic-tile --preset cpu --out out/tile --key keys/signing-key.pem',
  async run(values, ctx) {
    const opts = parseTrainOptions(values, ctx);
    printResult(await runTrain(opts, ctx.progress), ctx);
    return 0;
  },
};

export const finetune: Command = {
  name: 'finetune',
  summary: 'Fine-tune a packaged model on labelled data (pixel masks and/or image labels) into a new package.',
  usage:
    'finetune --from <pkg> --data <dir|manifest.jsonl> --loss px|img|auto [--confetti <n>] [--freeze-decoder] --out <dir> [--resume] [--key <private.pem>] [--epochs <n>] [--lr <x>] [--batch <n>] [--seed <n>] [--config <file>] [--min-calibration-normals <n>] [--providers cpu|cuda] [--threads <n>] [--device-id <n>]',
  flags: {
    from: {
      type: 'string',
      value: '<pkg>',
      description: 'parent model package (directory or tarball)',
      required: true,
    },
    data: {
      type: 'string',
      value: '<dir|jsonl>',
      description: 'MVTec-layout folder or JSONL manifest',
      required: true,
    },
    loss: {
      type: 'string',
      value: '<px|img|auto>',
      description:
        'px: mask loss (masked anomalies only), img: image-label loss (every anomaly), auto: every label in one run (masked anomalies L_px, image-labelled ones L_img, normals in both)',
      required: true,
    },
    confetti: {
      type: 'string',
      value: '<n>',
      description: `synthetic confetti anomalies to add (default: 0, or ${DEFAULT_CONFETTI} when the data has none)`,
    },
    'freeze-decoder': {
      type: 'boolean',
      description: "keep the parent's decoder, train the encoder side only (always on in the cpu preset)",
    },
    out: {
      type: 'string',
      value: '<dir>',
      description: 'output folder (new or empty unless --resume)',
      required: true,
    },
    resume: resumeFlag,
    key: keyFlag,
    ...settingFlags,
    'min-calibration-normals': minNormalsFlag,
    ...runtimeFlags('train'),
  },
  example:
    'linewatch-trainer finetune --from out/tile --data exports/snap-42/manifest.jsonl --loss auto --out out/tile-ft --key keys/signing-key.pem',
  async run(values, ctx) {
    const opts = parseFinetuneOptions(values, ctx);
    printResult(await runFinetune(opts, ctx.progress), ctx);
    return 0;
  },
};
