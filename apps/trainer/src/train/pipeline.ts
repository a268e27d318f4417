/**
 * `train` and `finetune`: data → cached backbone features → fit → signed package. Checkpoints live in
 * `<out>.partial/` until the package is written, so `--resume` continues an interrupted run and a finished run
 * leaves only the package.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fit, presetByName, type FitOptions, type ModelConfig, type TrainSample } from '@linewatch/adtr';
import { readPackage, sha256Hex } from '@linewatch/model-package';
import { parseManifest } from '@linewatch/protocol';
import { TrainerError } from '../errors.js';
import type { Progress } from '../progress.js';
import { backboneModel, DEFAULT_BACKBONE, openBackbone, type TrainingBackbone } from './backbone.js';
import { holdOut, loadTrainingSet, tokenMask, type TrainingImage } from './data.js';
import { confettiSamples } from './confetti.js';
import { FeatureExtractor } from './features.js';
import { finetunePlan, labelMetrics, lossLabel, type FinetunePlan } from './finetune-plan.js';
import { LossCurveWriter } from './loss-curve.js';
import { ONNX_SPEC_PREFIX } from './onnx-backbone.js';
import {
  trainingProvider,
  type FinetuneOptions,
  type OrtRuntime,
  type TrainOptions,
  type TrainResult,
} from './options.js';
import { checkLocalCalibrationNormals } from './calibration-minimum.js';
import { pinSettings, resolveSettings, trainingRecord, type ResolvedSettings } from './overrides.js';
import { decodeParams, PARAMS_FILE, writeModelPackage, type ModelRecord } from './package.js';

const VALIDATION_FRACTION = 0.1;

function workDir(out: string, resume: boolean): string {
  const dir = `${out}.partial`;
  if (!resume) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function extractAll(
  extractor: FeatureExtractor,
  images: readonly TrainingImage[],
  model: ModelConfig,
  progress: Progress,
  withMasks: boolean,
): Promise<TrainSample[]> {
  progress.start(images.length, 'features');
  const out: TrainSample[] = [];
  for (const img of images) {
    const f = await extractor.fromFile(img.path);
    const label = img.label === 1 ? 1 : 0;
    if (withMasks && img.maskPath) {
      out.push({
        features: f.features,
        label,
        tokenMask: await tokenMask(img, { width: f.width, height: f.height }, model),
      });
    } else out.push({ features: f.features, label });
    progress.tick(1);
  }
  progress.done();
  const { hits, misses } = extractor.cacheStats;
  progress.log(`features: ${images.length} images (cache ${hits} hits, ${misses} computed)`);
  return out;
}

/** `--providers/--threads/--device-id` for the training engine (one provider: see ../cli/runtime.ts). */
function fitRuntime(r: OrtRuntime | undefined): Pick<FitOptions, 'executionProviders' | 'threads' | 'deviceId'> {
  if (!r) return {};
  return {
    executionProviders: [trainingProvider(r)],
    ...(r.threads !== undefined ? { threads: r.threads } : {}),
    ...(r.deviceId !== undefined ? { deviceId: r.deviceId } : {}),
  };
}

function stepLogger(progress: Progress, total: number, label: string, curve: LossCurveWriter) {
  progress.start(total, label);
  return {
    onStep: (p: { epoch: number; epochs: number; loss: number }) =>
      progress.tick(1, { epoch: `${p.epoch}/${p.epochs}`, loss: p.loss.toFixed(4) }),
    onEpoch: (p: { epoch: number; epochs: number; loss: number; lr: number }) => {
      curve.add(p);
      if (p.epoch === p.epochs || p.epoch % 10 === 0)
        progress.log(`epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(1)}`);
    },
  };
}

/** Says which settings a run uses when any differ from the preset (flags or --config). */
function logSettings(progress: Progress, r: ResolvedSettings): void {
  const changed = Object.entries(r.sources).filter(([, source]) => source !== 'preset');
  if (changed.length === 0) return;
  const s = r.schedule;
  const value: Record<string, number> = {
    epochs: s.epochs,
    lr: s.lr,
    batch: s.batchSize,
    seed: r.seed,
    weightDecay: s.weightDecay,
    decayEpoch: s.decayEpoch,
  };
  progress.log(`settings: ${changed.map(([key, source]) => `${key} ${value[key]} (${source})`).join(', ')}`);
}

/** The backbone spec `openBackbone` takes for the training contract's backbone choice. */
function backboneSpec(choice: TrainOptions['backbone']): string {
  if (choice.kind === 'nsfwjs')
    return choice.model && choice.model !== 'mobilenet_v2' ? `${DEFAULT_BACKBONE}:${choice.model}` : DEFAULT_BACKBONE;
  return choice.kind === 'onnx' ? `${ONNX_SPEC_PREFIX}${choice.path}` : choice.dir;
}

/** Writes the signed package, drops the resumable work folder (training is done) and says so when a key was made. */
async function publishModel(
  work: string,
  progress: Progress,
  input: Parameters<typeof writeModelPackage>[0],
): Promise<TrainResult> {
  const written = await writeModelPackage(input);
  rmSync(work, { recursive: true, force: true });
  if (written.keyGenerated) progress.log(`no --key given: generated a development signing key at ${written.keyPath}`);
  return {
    packageDir: input.out,
    metrics: { trainSeconds: input.metrics.trainSeconds ?? NaN, threshold: written.manifest.threshold.value },
  };
}

export async function runTrain(opts: TrainOptions, progress: Progress): Promise<TrainResult> {
  const preset = presetByName(opts.preset);
  const backbone = await openBackbone(backboneSpec(opts.backbone), preset.model);
  const model = backboneModel(backbone, preset.model);
  const set = await loadTrainingSet(opts.data);
  const { train, validation } = holdOut(set.normal, VALIDATION_FRACTION);
  if (train.length === 0) throw new TrainerError('LW_TRAINER_BAD_VALUE', `no normal training images in ${opts.data}`);
  checkLocalCalibrationNormals(validation.length, opts.minCalibrationNormals, opts.data, VALIDATION_FRACTION);
  const work = workDir(opts.out, opts.resume);
  const settings = resolveSettings(preset.normal, 1, opts.settings);
  pinSettings(work, trainingRecord(settings), opts.resume); // before hours of features, not after
  const extractor = await FeatureExtractor.create(backbone, model, {
    cacheDir: join(dirname(opts.out), '.feature-cache'),
    ...(opts.runtime?.threads !== undefined ? { threads: opts.runtime.threads } : {}),
  });
  let samples: TrainSample[];
  try {
    samples = await extractAll(extractor, train, model, progress, false);
  } finally {
    await extractor.release();
  }
  logSettings(progress, settings);
  const s = settings.schedule;
  const steps = s.epochs * Math.ceil(samples.length / s.batchSize);
  const curve = new LossCurveWriter(work, `train ${preset.name} L_norm`, progress, opts.resume);
  const log = stepLogger(progress, steps, 'train L_norm', curve);
  const result = await fit({
    model,
    loss: preset.loss,
    schedule: s,
    kind: 'norm',
    channels: samples[0]!.features.length / (model.grid[0] * model.grid[1]),
    samples,
    seed: settings.seed,
    checkpointPath: join(work, 'checkpoint.ckpt'),
    resume: opts.resume,
    ...fitRuntime(opts.runtime),
    ...log,
  });
  progress.done();
  const lossCurve = await curve.finish();
  const record: ModelRecord = {
    model,
    preset: preset.name,
    backbone: backbone.spec,
    loss: 'norm',
    history: result.history,
  };
  return publishModel(work, progress, {
    out: opts.out,
    backbone,
    record,
    params: result.params,
    modelId: 'linewatch-adtr',
    version: '1.0.0',
    build: Math.floor(Date.now() / 1000),
    metrics: {
      trainSeconds: result.seconds,
      finalLoss: result.history.at(-1)?.loss ?? NaN,
      trainImages: samples.length,
    },
    validation: validation.map((v) => v.path),
    training: trainingRecord(settings),
    ...(lossCurve ? { lossCurve } : {}),
    ...(opts.privateKeyPath ? { privateKeyPath: opts.privateKeyPath } : {}),
  });
}

function bumpMinor(version: string): string {
  const [major, minor] = version.split(/[.-]/).map(Number);
  return `${major ?? 1}.${(minor ?? 0) + 1}.0`;
}

/** Reads the parent package (digests checked) and its parameters. */
function loadParent(from: string) {
  const entries = new Map(readPackage(from).map((e) => [e.path, e.data]));
  const manifestBytes = entries.get('manifest.json');
  if (!manifestBytes) throw new TrainerError('LW_TRAINER_MODEL_INCOMPATIBLE', `${from} has no manifest.json`);
  const manifest = parseManifest(manifestBytes);
  for (const f of manifest.files) {
    const data = entries.get(f.path);
    if (!data || sha256Hex(data) !== f.sha256)
      throw new TrainerError('LW_TRAINER_MODEL_INCOMPATIBLE', `${from}: ${f.path} is missing or altered`);
  }
  const params = entries.get(PARAMS_FILE);
  if (!params)
    throw new TrainerError(
      'LW_TRAINER_MODEL_INCOMPATIBLE',
      `${from} has no ${PARAMS_FILE}: it was not made by linewatch-trainer`,
    );
  return { manifest, ...decodeParams(params) };
}

/** The backbone the parent was trained on, as this machine has it (an ONNX file must be unchanged). */
async function parentBackbone(parent: ReturnType<typeof loadParent>): Promise<TrainingBackbone> {
  let backbone: TrainingBackbone;
  try {
    backbone = await openBackbone(parent.record.backbone, parent.record.model);
  } catch (err) {
    throw new TrainerError(
      'LW_TRAINER_MODEL_INCOMPATIBLE',
      `the parent's backbone ${parent.record.backbone} is not available here`,
      {},
      { cause: err },
    );
  }
  const want = parent.manifest.backbone.sha256;
  if (backbone.kind === 'onnx' && want !== undefined && backbone.sha256 !== want) {
    throw new TrainerError(
      'LW_TRAINER_MODEL_INCOMPATIBLE',
      `${backbone.spec} has changed since the parent was trained (sha256 ${backbone.sha256}, parent ${want})`,
    );
  }
  return backbone;
}

export { finetunePlan } from './finetune-plan.js';

/** Features of the normals and labelled anomalies, plus confetti anomalies pasted onto the normals. */
async function finetuneSamples(
  extractor: FeatureExtractor,
  train: readonly TrainingImage[],
  plan: FinetunePlan,
  model: ModelConfig,
  progress: Progress,
): Promise<TrainSample[]> {
  const { kind, anomalies, confetti } = plan;
  // Masks feed L_px (px, and the masked anomalies of a mixed run); an img run ignores them.
  const withMasks = kind !== 'img';
  try {
    const samples = await extractAll(extractor, [...train, ...anomalies], model, progress, withMasks);
    if (confetti > 0) {
      samples.push(...(await confettiSamples(extractor, train, confetti, model, progress, withMasks)));
      progress.log(`fine-tune: ${anomalies.length} labelled + ${confetti} confetti anomalies, ${train.length} normals`);
    }
    return samples;
  } finally {
    await extractor.release();
  }
}

export async function runFinetune(opts: FinetuneOptions, progress: Progress): Promise<TrainResult> {
  const parent = loadParent(opts.from);
  const model = parent.record.model;
  const preset = presetByName(parent.record.preset);
  const backbone = await parentBackbone(parent);
  const set = await loadTrainingSet(opts.data);
  const plan = finetunePlan(opts, set, progress);
  const { kind, anomalies, confetti } = plan;
  const { train, validation } = holdOut(set.normal, VALIDATION_FRACTION);
  checkLocalCalibrationNormals(validation.length, opts.minCalibrationNormals, opts.data, VALIDATION_FRACTION);
  const work = workDir(opts.out, opts.resume);
  const base = opts.freezeDecoder ? { ...preset.finetune, freezeDecoder: true } : preset.finetune;
  const settings = resolveSettings(base, 2, opts.settings);
  pinSettings(work, trainingRecord(settings), opts.resume);
  const extractor = await FeatureExtractor.create(backbone, model, {
    cacheDir: join(dirname(opts.out), '.feature-cache'),
    ...(opts.runtime?.threads !== undefined ? { threads: opts.runtime.threads } : {}),
  });
  const samples = await finetuneSamples(extractor, train, plan, model, progress);
  logSettings(progress, settings);
  const s = settings.schedule;
  const stepsPerEpoch = Math.ceil((2 * (anomalies.length + confetti)) / s.batchSize);
  const curve = new LossCurveWriter(work, `fine-tune ${preset.name} ${lossLabel(kind)}`, progress, opts.resume);
  const log = stepLogger(progress, s.epochs * stepsPerEpoch, `fine-tune ${lossLabel(kind)}`, curve);
  const result = await fit({
    model,
    loss: preset.loss,
    schedule: s,
    kind,
    channels: samples[0]!.features.length / (model.grid[0] * model.grid[1]),
    samples,
    init: parent.params,
    seed: settings.seed,
    checkpointPath: join(work, 'checkpoint.ckpt'),
    resume: opts.resume,
    ...fitRuntime(opts.runtime),
    ...log,
  });
  progress.done();
  const lossCurve = await curve.finish();
  const record: ModelRecord = {
    model,
    preset: preset.name,
    backbone: backbone.spec,
    loss: kind,
    history: result.history,
    parent: { modelId: parent.manifest.modelId, version: parent.manifest.version, build: parent.manifest.build },
  };
  return publishModel(work, progress, {
    out: opts.out,
    backbone,
    record,
    params: result.params,
    modelId: parent.manifest.modelId,
    version: bumpMinor(parent.manifest.version),
    build: Math.max(parent.manifest.build + 1, Math.floor(Date.now() / 1000)),
    metrics: {
      trainSeconds: result.seconds,
      finalLoss: result.history.at(-1)?.loss ?? NaN,
      anomalies: anomalies.length,
      confetti,
      normals: train.length,
      decoderFrozen: s.freezeDecoder ? 1 : 0,
      ...labelMetrics(plan, train),
    },
    validation: validation.map((v) => v.path),
    training: trainingRecord(settings),
    ...(lossCurve ? { lossCurve } : {}),
    ...(opts.privateKeyPath ? { privateKeyPath: opts.privateKeyPath } : {}),
  });
}
