/**
 * The contract between the CLI (`../commands/train.ts`) and this training pipeline: the CLI parses and validates
 * flags into these typed objects and calls `runTrain(opts, progress)` / `runFinetune(opts, progress)`.
 * All paths are absolute and have been checked to exist (inputs) or to be writable targets (outputs).
 */
import type { NsfwjsModel } from '@linewatch/backbones';
import type { SupportedProvider } from '@linewatch/inference';
import type { Progress } from '../progress.js';
import type { SettingsRequest } from './overrides.js';

export const PRESETS = ['cpu', 'paper', 'tiny', 'demo', 'semantic'] as const;
export type Preset = (typeof PRESETS)[number];

/**
 * The backbone a preset trains on when `--backbone` is not given: nsfwjs's MobileNetV2, which every preset's figures
 * were measured with. `semantic` was also measured on the nsfwjs InceptionV3 (broader features: its kNN is stronger)
 * and ADTR did worse there (libs/adtr README "How the semantic preset was chosen").
 */
export const PRESET_BACKBONE: Readonly<Record<Preset, string>> = {
  cpu: 'nsfwjs',
  paper: 'nsfwjs',
  tiny: 'nsfwjs',
  demo: 'nsfwjs',
  semantic: 'nsfwjs',
};

export const FINETUNE_LOSSES = ['px', 'img', 'auto'] as const;
/**
 * px: pixel-mask loss (L_px); img: image-label loss (L_img); auto: every label in one run — per sample L_px where a mask
 * exists, L_img where only the image label does (one combined loss when both occur; ./finetune-plan.ts).
 */
export type FinetuneLoss = (typeof FINETUNE_LOSSES)[number];

/**
 * `--backbone nsfwjs` (the bundled default MobileNetV2) or `nsfwjs:<model>` (another model bundled in the nsfwjs npm
 * package, e.g. `inception_v3`), a TF.js model folder (with model.json), or `onnx:<dir|backbone.json>` (a user ONNX
 * backbone; `path` is the manifest file, already parsed once).
 */
export type BackboneChoice =
  | { readonly kind: 'nsfwjs'; readonly model?: NsfwjsModel }
  | { readonly kind: 'tfjs-dir'; readonly dir: string }
  | { readonly kind: 'onnx'; readonly path: string };

/** onnxruntime knobs (`--providers/--threads/--device-id`, see ../cli/runtime.ts); undefined = CPU, 2 threads. */
export interface OrtRuntime {
  readonly providers: readonly SupportedProvider[];
  readonly threads?: number;
  /** GPU ordinal for cuda/tensorrt. */
  readonly deviceId?: number;
}

/** The training engine's provider: the CLI lets train/finetune/worker name exactly one, cpu or cuda. */
export const trainingProvider = (r: OrtRuntime | undefined): 'cpu' | 'cuda' =>
  r?.providers[0] === 'cuda' ? 'cuda' : 'cpu';

export interface TrainOptions {
  /** MVTec-layout dataset root (absolute; a folder). */
  readonly data: string;
  readonly preset: Preset;
  readonly backbone: BackboneChoice;
  /** Output folder for the signed package (absolute). Does not exist yet unless `resume` is set. */
  readonly out: string;
  /** Continue from the checkpoint state in `out` instead of starting fresh. */
  readonly resume: boolean;
  /** Ed25519 private key (absolute, already checked to load); undefined = write an unsigned package. */
  readonly privateKeyPath?: string;
  readonly runtime?: OrtRuntime;
  /** `--config` file and `--epochs/--lr/--batch/--seed` over the preset's schedule (./overrides.ts); none = preset. */
  readonly settings?: SettingsRequest;
  /** Fewest validation normals the threshold may be calibrated on (./calibration-minimum.ts); undefined = any. */
  readonly minCalibrationNormals?: number;
}

export interface FinetuneOptions {
  /** Parent model package: directory, .tar or .tar.gz (absolute). */
  readonly from: string;
  /** MVTec-layout folder or JSONL manifest (absolute); `dataKind` says which. */
  readonly data: string;
  readonly dataKind: 'mvtec' | 'manifest';
  readonly loss: FinetuneLoss;
  /**
   * Synthetic confetti anomalies to add (0 = none). Undefined: none when the data has anomalies for the loss,
   * otherwise DEFAULT_CONFETTI (the paper's anomaly-available setting without labelled defects).
   */
  readonly confetti?: number;
  /** Keep the parent's decoder side and train the encoder side only (libs/adtr `Schedule.freezeDecoder`). */
  readonly freezeDecoder?: boolean;
  readonly out: string;
  readonly resume: boolean;
  readonly privateKeyPath?: string;
  readonly runtime?: OrtRuntime;
  /** `--config` file and `--epochs/--lr/--batch/--seed` over the preset's schedule (./overrides.ts); none = preset. */
  readonly settings?: SettingsRequest;
  /** As TrainOptions.minCalibrationNormals. */
  readonly minCalibrationNormals?: number;
}

/** What the CLI prints after a run; every field optional so the training code can grow it freely. */
export interface TrainResult {
  readonly packageDir?: string;
  readonly metrics?: Readonly<Record<string, number>>;
}

export type RunTrain = (opts: TrainOptions, progress: Progress) => Promise<TrainResult | void>;
export type RunFinetune = (opts: FinetuneOptions, progress: Progress) => Promise<TrainResult | void>;
