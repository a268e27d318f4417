/**
 * Training-setting overrides: `--epochs/--lr/--batch/--seed` and the keys of a `--config` file, layered over the
 * preset's schedule (preset < config file < flags). One TypeBox schema checks both layers, so a config file cannot
 * accept what a flag refuses. The effective settings and the source of each go into the package manifest
 * (`manifest.training`), so a package says how it was made.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Schedule } from '@linewatch/adtr';
import { Type, type Static } from '@sinclair/typebox';
import { TrainerError } from '../errors.js';

export const SettingOverridesSchema = Type.Object(
  {
    epochs: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    lr: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    batch: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295 })),
    weightDecay: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Epoch at which the learning rate drops by the preset's decay factor (≥ epochs: no drop). */
    decayEpoch: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
export type SettingOverrides = Static<typeof SettingOverridesSchema>;
export type SettingKey = keyof SettingOverrides;
export const SETTING_KEYS = Object.keys(SettingOverridesSchema.properties) as SettingKey[];

/** `scaled`: decayEpoch moved with a changed epoch count (the preset's decay at the same fraction of the run). */
export type SettingSource = 'preset' | 'config' | 'flag' | 'scaled';

/** What the CLI hands the pipeline: the two override layers (already validated) and the config file's name. */
export interface SettingsRequest {
  readonly config?: SettingOverrides;
  /** File name of the `--config` file (recorded in the manifest; no folder, which may be private). */
  readonly configFile?: string;
  readonly flags?: SettingOverrides;
}

export interface ResolvedSettings {
  readonly schedule: Schedule;
  readonly seed: number;
  readonly sources: Readonly<Record<SettingKey, SettingSource>>;
  readonly configFile?: string;
}

/** The manifest's `training` record (libs/protocol ManifestSchema). */
export interface TrainingRecord {
  readonly epochs: number;
  readonly lr: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly weightDecay: number;
  readonly decayEpoch: number;
  readonly decayFactor: number;
  readonly sources: Readonly<Record<string, SettingSource>>;
  readonly configFile?: string;
}

/**
 * Layers the overrides over the preset's schedule and default seed. When the epoch count changes and no layer sets
 * decayEpoch, the preset's decay moves with it (e.g. cpu: 32 of 40 → 16 of 20), so a shorter run still decays.
 */
export function resolveSettings(preset: Schedule, defaultSeed: number, req: SettingsRequest = {}): ResolvedSettings {
  const sources = {} as Record<SettingKey, SettingSource>;
  const pick = <K extends SettingKey>(key: K, base: number): number => {
    const fromFlag = req.flags?.[key];
    const fromConfig = req.config?.[key];
    sources[key] = fromFlag !== undefined ? 'flag' : fromConfig !== undefined ? 'config' : 'preset';
    return fromFlag ?? fromConfig ?? base;
  };
  const epochs = pick('epochs', preset.epochs);
  const lr = pick('lr', preset.lr);
  const batchSize = pick('batch', preset.batchSize);
  const seed = pick('seed', defaultSeed);
  const weightDecay = pick('weightDecay', preset.weightDecay);
  let decayEpoch = pick('decayEpoch', preset.decayEpoch);
  if (sources.decayEpoch === 'preset' && epochs !== preset.epochs) {
    decayEpoch = Math.max(1, Math.round((preset.decayEpoch * epochs) / preset.epochs));
    sources.decayEpoch = 'scaled';
  }
  return {
    schedule: { ...preset, epochs, lr, batchSize, weightDecay, decayEpoch },
    seed,
    sources,
    ...(req.configFile !== undefined ? { configFile: req.configFile } : {}),
  };
}

export function trainingRecord(s: ResolvedSettings): TrainingRecord {
  const { schedule: c } = s;
  return {
    epochs: c.epochs,
    lr: c.lr,
    batchSize: c.batchSize,
    seed: s.seed,
    weightDecay: c.weightDecay,
    decayEpoch: c.decayEpoch,
    decayFactor: c.decayFactor,
    sources: { ...s.sources },
    ...(s.configFile !== undefined ? { configFile: s.configFile } : {}),
  };
}

const SETTINGS_FILE = 'settings.json';

/**
 * Pins a run's effective settings in its work folder: a fresh run writes them, a `--resume` must repeat them (the
 * checkpoint continues one schedule and one seed's shuffles; other settings would make a run that matches neither).
 * A work folder from before this file existed is resumed as is.
 */
export function pinSettings(workDir: string, record: TrainingRecord, resume: boolean): void {
  const path = join(workDir, SETTINGS_FILE);
  const { sources: _s, configFile: _c, ...wanted } = record;
  if (resume && existsSync(path)) {
    const pinned = JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>;
    const differ = Object.entries(wanted).filter(([k, v]) => pinned[k] !== v);
    if (differ.length > 0) {
      const list = differ.map(([k, v]) => `${k} ${pinned[k]} → ${v}`).join(', ');
      throw new TrainerError('LW_TRAINER_BAD_VALUE', `--resume with other settings than the run had (${list})`, {
        settings: differ.map(([k]) => k),
      });
    }
    return;
  }
  writeFileSync(path, JSON.stringify(wanted));
}
