/**
 * `--epochs/--lr/--batch/--seed` and `--config <file>` for train and finetune: parsed and checked against the one
 * overrides schema (../train/overrides.ts) before any data is read. A bad flag is LW_TRAINER_BAD_VALUE naming the
 * flag; a bad config file is LW_TRAINER_CONFIG naming the file and the key.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { existingPath, str } from '../cli/args.js';
import type { CliContext, FlagSpec, FlagValues } from '../cli/command.js';
import { TrainerError } from '../errors.js';
import {
  SETTING_KEYS,
  SettingOverridesSchema,
  type SettingKey,
  type SettingOverrides,
  type SettingsRequest,
} from '../train/overrides.js';

/** Flag name → overrides key; the other keys (weightDecay, decayEpoch) are config-file only. */
const FLAG_KEYS = { epochs: 'epochs', lr: 'lr', batch: 'batch', seed: 'seed' } as const satisfies Record<
  string,
  SettingKey
>;

export const settingFlags: Record<keyof typeof FLAG_KEYS | 'config', FlagSpec> = {
  epochs: { type: 'string', value: '<n>', description: "training epochs (overrides the preset's)" },
  lr: { type: 'string', value: '<x>', description: 'learning rate, > 0 (overrides the preset)' },
  batch: { type: 'string', value: '<n>', description: 'batch size (overrides the preset)' },
  seed: {
    type: 'string',
    value: '<n>',
    description: 'seed for initialisation and shuffling (default: 1 train, 2 finetune)',
  },
  config: {
    type: 'string',
    value: '<file>',
    description: `JSON or YAML settings (${SETTING_KEYS.join(', ')}); flags override it`,
  },
};

/** The first schema problem as `key: message` (TypeBox paths are `/key`). */
function firstProblem(value: unknown): { key: string; message: string } | undefined {
  const e = Value.Errors(SettingOverridesSchema, value).First();
  return e ? { key: e.path.replace(/^\//, '') || '(root)', message: e.message } : undefined;
}

function flagOverrides(values: FlagValues): SettingOverrides | undefined {
  const raw: Record<string, number> = {};
  for (const [flag, key] of Object.entries(FLAG_KEYS)) {
    const v = str(values, flag);
    if (v === undefined) continue;
    const n = Number(v);
    const problem = Number.isFinite(n) ? firstProblem({ [key]: n }) : { key, message: 'Expected a number' };
    if (problem) {
      throw new TrainerError('LW_TRAINER_BAD_VALUE', `--${flag} ${JSON.stringify(v)}: ${problem.message}`, {
        flag,
        value: v,
      });
    }
    raw[key] = n;
  }
  return Object.keys(raw).length > 0 ? (raw as SettingOverrides) : undefined;
}

function configError(path: string, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
  return new TrainerError('LW_TRAINER_CONFIG', `${path}: ${message}`, { path, ...details }, { cause });
}

/** Reads a `--config` file: `.yaml`/`.yml` as YAML, anything else as JSON; then the schema, naming the bad key. */
export function readSettingsFile(path: string): SettingOverrides {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw configError(path, `cannot read: ${(e as Error).message}`, {}, e);
  }
  const yaml = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
  let parsed: unknown;
  try {
    parsed = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw configError(path, `not valid ${yaml ? 'YAML' : 'JSON'}: ${(e as Error).message}`, {}, e);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw configError(path, `must hold an object of settings (${SETTING_KEYS.join(', ')})`);
  const unknown = Object.keys(parsed).find((k) => !(SETTING_KEYS as string[]).includes(k));
  if (unknown !== undefined) {
    throw configError(path, `unknown key ${JSON.stringify(unknown)} (known: ${SETTING_KEYS.join(', ')})`, {
      key: unknown,
    });
  }
  const problem = firstProblem(parsed);
  if (problem) throw configError(path, `${problem.key}: ${problem.message}`, { key: problem.key });
  return parsed as SettingOverrides;
}

/** `{ settings }` for the train/finetune options, or nothing when neither a setting flag nor --config was given. */
export function settingsOption(values: FlagValues, ctx: CliContext): { settings?: SettingsRequest } {
  const settings = parseSettingsRequest(values, ctx);
  return Object.keys(settings).length > 0 ? { settings } : {};
}

/** Both override layers from the command line; empty when neither a setting flag nor --config was given. */
export function parseSettingsRequest(values: FlagValues, ctx: CliContext): SettingsRequest {
  const configFlag = str(values, 'config');
  const configPath = configFlag === undefined ? undefined : existingPath(configFlag, 'config', ctx.cwd, 'file');
  const config = configPath === undefined ? undefined : readSettingsFile(configPath);
  const flags = flagOverrides(values);
  return {
    ...(config !== undefined && configPath !== undefined ? { config, configFile: basename(configPath) } : {}),
    ...(flags !== undefined ? { flags } : {}),
  };
}
