/**
 * Turns trained parameters into a signed model package: `model.onnx` (image → anomaly_map + score, the same
 * reconstruction nodes the trainer ran, with the frozen backbone in front), `params.ckpt` (parameter values plus the
 * model config and lineage, so fine-tunes start from exactly this model), golden frames for the agent's self-test
 * and a manifest with the calibrated threshold.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { buildInferenceGraph, MAP_OUTPUT, SCORE_OUTPUT, type ModelConfig } from '@linewatch/adtr';
import { decodeCheckpoint, encodeCheckpoint, exportModel } from '@linewatch/graph';
import { float32, InferenceSession } from '@linewatch/inference';
import { calibrateCounted } from '@linewatch/metrics';
import {
  buildPackage,
  generateSigningKeys,
  loadPrivateKey,
  writePackageDir,
  type ManifestDraft,
} from '@linewatch/model-package';
import type { Manifest } from '@linewatch/protocol';
import { decodeImage, encodePng, preprocessInto, type PreprocessSettings, type RgbImage } from '@linewatch/vision';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TrainerError } from '../errors.js';
import type { TrainingBackbone } from './backbone.js';
import { LOSS_CURVE_FILE } from './loss-curve.js';
import { onnxPackageModel } from './onnx-backbone.js';
import type { TrainingRecord } from './overrides.js';
import { manifestPreprocessing, preprocessSettings } from './settings.js';

export const PARAMS_FILE = 'params.ckpt';

export interface ModelRecord {
  readonly model: ModelConfig;
  readonly preset: string;
  readonly backbone: string;
  readonly loss: string;
  readonly parent?: { readonly modelId: string; readonly version: string; readonly build: number };
  readonly history: readonly { epoch: number; loss: number; lr: number }[];
}

export function inferenceModel(
  backbone: TrainingBackbone,
  model: ModelConfig,
  params: ReadonlyMap<string, Float32Array>,
): Uint8Array {
  // A user ONNX backbone's graph is merged in front of the same head nodes (one input `image`, the same outputs).
  if (backbone.kind === 'onnx') return onnxPackageModel(backbone, model, params);
  const ig = buildInferenceGraph(backbone.plan, model);
  return exportModel({
    graph: ig.graph,
    outputs: { [MAP_OUTPUT]: ig.map, [SCORE_OUTPUT]: ig.score },
    paramsAs: 'initializers',
    paramValue: (name) => {
      const v = params.get(name);
      if (!v) throw new TrainerError('LW_TRAINER_MODEL_INCOMPATIBLE', `trained parameters lack ${name}`);
      return v;
    },
    modelName: 'linewatch-adtr',
  }).bytes;
}

/**
 * The manifest's name for the image-score rule the graph computes (libs/adtr scoring.ts): one pooling window as large
 * as the map averages the whole map, which is how the `semantic` preset scores.
 */
export function scoringRule(model: ModelConfig): NonNullable<Manifest['scoring']> {
  const [h, w] = model.inputSize;
  return { rule: model.scorePool === h && model.scorePool === w ? 'map-mean' : 'pooled-max', pool: model.scorePool };
}

export function encodeParams(record: ModelRecord, params: ReadonlyMap<string, Float32Array>): Uint8Array {
  return encodeCheckpoint({
    step: 0,
    entries: [...params].map(([name, data]) => ({ name, shape: [data.length], data })),
    meta: { ...record },
  });
}

export function decodeParams(bytes: Uint8Array): { record: ModelRecord; params: Map<string, Float32Array> } {
  const ckpt = decodeCheckpoint(bytes);
  const params = new Map<string, Float32Array>();
  for (const e of ckpt.entries) params.set(e.name, Float32Array.from(e.data as Float32Array));
  if (!isModelRecord(ckpt.meta))
    throw new TrainerError('LW_TRAINER_MODEL_INCOMPATIBLE', `${PARAMS_FILE} carries no model record`);
  return { record: ckpt.meta, params };
}

/** Shape check of what encodeParams wrote: enough to tell a linewatch checkpoint from foreign JSON meta. */
function isModelRecord(v: unknown): v is ModelRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r: { [k: string]: unknown } = { ...v };
  return (
    typeof r['model'] === 'object' &&
    r['model'] !== null &&
    typeof r['preset'] === 'string' &&
    typeof r['backbone'] === 'string' &&
    typeof r['loss'] === 'string' &&
    Array.isArray(r['history'])
  );
}

/** Scores images with the packaged model exactly as an agent would (decode → manifest preprocessing → model). */
export class PackageScorer {
  private readonly buf: Float32Array;
  private readonly settings: PreprocessSettings;
  private constructor(
    private readonly session: InferenceSession,
    private readonly model: ModelConfig,
    settings: PreprocessSettings,
  ) {
    this.buf = new Float32Array(3 * model.inputSize[0] * model.inputSize[1]);
    this.settings = settings;
  }

  static async create(
    onnx: Uint8Array,
    model: ModelConfig,
    settings: PreprocessSettings,
    threads = 2,
  ): Promise<PackageScorer> {
    return new PackageScorer(await InferenceSession.open(onnx, { intraOpThreads: threads }), model, settings);
  }

  async score(image: RgbImage): Promise<number> {
    preprocessInto(this.buf, image, this.settings);
    const [h, w] = this.model.inputSize;
    const out = await this.session.run({ image: float32(this.buf, [1, 3, h, w]) });
    return (out[SCORE_OUTPUT]!.data as Float32Array)[0] as number;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The signing key: the given one, or a development key kept beside the output (created once, reused). */
export function signingKey(
  privateKeyPath: string | undefined,
  out: string,
): { privateKey: KeyObject; publicKey: KeyObject; path: string; generated: boolean } {
  let path = privateKeyPath;
  let generated = false;
  if (!path) {
    path = join(dirname(out), 'dev-keys', 'signing-key.pem');
    if (!existsSync(path)) {
      generateSigningKeys(dirname(path), 'signing-key');
      generated = true;
    }
  }
  const privateKey = loadPrivateKey(path);
  return { privateKey, publicKey: createPublicKey(privateKey), path, generated };
}

export interface PackageInput {
  readonly out: string;
  readonly backbone: TrainingBackbone;
  readonly record: ModelRecord;
  readonly params: ReadonlyMap<string, Float32Array>;
  readonly modelId: string;
  readonly version: string;
  readonly build: number;
  readonly metrics: Readonly<Record<string, number>>;
  /** Normal images not used for training: the threshold is calibrated on their scores. */
  readonly validation: readonly string[];
  readonly privateKeyPath?: string;
  readonly threads?: number;
  /** The effective settings and their sources (manifest `training`). */
  readonly training?: TrainingRecord;
  /** loss-curve.png of the run, packaged beside the model so eval reports can show it. */
  readonly lossCurve?: Uint8Array;
}

export async function writeModelPackage(
  p: PackageInput,
): Promise<{ manifest: Manifest; keyPath: string; keyGenerated: boolean }> {
  const onnx = inferenceModel(p.backbone, p.record.model, p.params);
  const scorer = await PackageScorer.create(
    onnx,
    p.record.model,
    preprocessSettings(p.record.model, p.backbone),
    p.threads,
  );
  const golden: { path: string; data: Uint8Array; expectedScore: number }[] = [];
  const scores: number[] = [];
  try {
    for (const [i, path] of p.validation.entries()) {
      const image = await decodeImage(new Uint8Array(await readFile(path)));
      scores.push(await scorer.score(image));
      if (i < 2) {
        // Golden frames are stored losslessly and scored from that very PNG, so an agent's self-test compares like
        // with like whatever JPEG decoder it has.
        const png = await encodePng(image);
        golden.push({
          path: `golden/frame-${i}.png`,
          data: png,
          expectedScore: await scorer.score(await decodeImage(png)),
        });
      }
    }
  } finally {
    await scorer.release();
  }
  if (scores.length === 0)
    throw new TrainerError('LW_TRAINER_BAD_VALUE', 'no held-out normal images to calibrate the threshold on');
  // How much the number is worth goes into the manifest: from 20 validation frames "0 false alarms" still allows
  // ≈ 16 % (Wilson, 95 %). Fine-tune jobs refuse too few frames (worker/heldout.ts); a local train run reports it.
  const calibration = calibrateCounted(scores, { minNormals: 1 });
  const threshold = calibration.threshold;
  const maxGolden = Math.max(1, ...golden.map((g) => g.expectedScore));
  const draft: ManifestDraft = {
    schemaVersion: 1,
    modelId: p.modelId,
    version: p.version,
    build: p.build,
    createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    backbone: { id: p.backbone.id, ...(p.backbone.kind === 'onnx' ? { sha256: p.backbone.sha256 } : {}) },
    ...manifestPreprocessing(p.record.model, p.backbone),
    featureTaps: [...p.record.model.taps, ...(p.record.model.intensityTap ? ['input-intensity'] : [])],
    tokenGrid: { rows: p.record.model.grid[0], cols: p.record.model.grid[1] },
    scoring: scoringRule(p.record.model),
    preset: p.record.preset,
    metrics: {
      ...p.metrics,
      validationImages: scores.length,
      calibrationNormals: calibration.normals,
      calibrationFalseAlarmUpper: calibration.falseAlarmInterval.hi,
    },
    ...(p.training ? { training: { ...p.training, sources: { ...p.training.sources } } } : {}),
    threshold: { value: threshold, method: 'normal-quantile-0.995' },
    selfTest: {
      tolerance: 1e-3 * maxGolden,
      frames: golden.map((g) => ({ path: g.path, expectedScore: g.expectedScore })),
    },
  };
  const key = signingKey(p.privateKeyPath, p.out);
  const entries = buildPackage(
    draft,
    [
      { path: 'model.onnx', data: onnx },
      { path: PARAMS_FILE, data: encodeParams(p.record, p.params) },
      ...golden.map((g) => ({ path: g.path, data: g.data })),
      ...(p.lossCurve ? [{ path: LOSS_CURVE_FILE, data: p.lossCurve }] : []),
    ],
    key.privateKey,
    key.publicKey,
  );
  writePackageDir(p.out, entries);
  const manifestBytes = entries.find((e) => e.path === 'manifest.json')!.data;
  return {
    manifest: JSON.parse(new TextDecoder().decode(manifestBytes)) as Manifest,
    keyPath: key.path,
    keyGenerated: key.generated,
  };
}
