/**
 * Trains the reconstruction model on cached grid features with the graph lib's Trainer (forward + backward + AdamW
 * in one onnxruntime session). Normal-only training uses L_norm; fine-tuning starts from a parent's parameters and
 * uses L_px (token masks), L_img (image labels) or both in one step (`mixed`: each image by what its label allows),
 * optionally with the decoder side kept as the parent left it.
 * Checkpoints are written atomically after every epoch; resuming restores parameters, optimizer state and the epoch,
 * and each epoch's shuffle is seeded by (seed, epoch), so a resumed run continues exactly as the uninterrupted one
 * would have.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { adamw, decodeCheckpoint, stepDecay, Trainer } from '@linewatch/graph';
import { AdtrError } from '../errors.js';
import type { LossSettings, ModelConfig, Schedule } from '../model/config.js';
import { buildTrainingGraph, type LossKind } from '../model/graphs.js';
import { FEATURE_MEAN, FEATURE_STD, isDecoderParam } from '../model/reconstruct.js';
import { balancedOrder, seededRng, shuffle, toBatches } from './batches.js';
import { featureStats, type FeatureStats } from './stats.js';

export interface TrainSample {
  /** Grid features [C, rows, cols], flattened. */
  readonly features: Float32Array;
  /** Token labels [rows·cols] in {0, 1} (L_px; in a mixed run an anomaly with one trains with L_px, else L_img). */
  readonly tokenMask?: Float32Array;
  /** Image label (L_img; also decides anomalous vs normal when balancing fine-tune epochs). */
  readonly label?: 0 | 1;
}

export interface StepProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly stepsPerEpoch: number;
  readonly loss: number;
  readonly lr: number;
}

export interface FitOptions {
  readonly model: ModelConfig;
  readonly loss: LossSettings;
  readonly schedule: Schedule;
  readonly kind: LossKind;
  readonly channels: number;
  readonly samples: readonly TrainSample[];
  /** Starting parameters by name (a parent model when fine-tuning); must include the feature statistics. */
  readonly init?: ReadonlyMap<string, Float32Array>;
  readonly seed?: number;
  readonly threads?: number;
  readonly executionProviders?: readonly ('cpu' | 'cuda')[];
  /** GPU ordinal for cuda (the trainer's `--device-id`). */
  readonly deviceId?: number;
  readonly checkpointPath?: string;
  readonly resume?: boolean;
  readonly onStep?: (p: StepProgress) => void;
  readonly onEpoch?: (p: { epoch: number; epochs: number; loss: number; lr: number }) => void;
}

export interface FitResult {
  readonly params: Map<string, Float32Array>;
  readonly history: readonly { epoch: number; loss: number; lr: number }[];
  readonly stats: FeatureStats;
  readonly resumedFromEpoch: number;
  readonly seconds: number;
}

function checkSamples(o: FitOptions): void {
  const size = o.channels * o.model.grid[0] * o.model.grid[1];
  const tokens = o.model.grid[0] * o.model.grid[1];
  if (o.samples.length === 0) throw new AdtrError('LW_ADTR_CONFIG', 'no training samples');
  o.samples.forEach((s, i) => {
    if (s.features.length !== size)
      throw new AdtrError('LW_ADTR_CONFIG', `sample ${i} has ${s.features.length} feature values, expected ${size}`);
    if ((o.kind === 'px' || o.kind === 'mixed') && s.tokenMask && s.tokenMask.length !== tokens)
      throw new AdtrError('LW_ADTR_CONFIG', `sample ${i} mask has ${s.tokenMask.length} tokens`);
  });
  if (o.kind !== 'norm' && !o.samples.some((s) => s.label === 1)) {
    throw new AdtrError('LW_ADTR_CONFIG', `${o.kind} fine-tuning needs at least one anomalous sample`);
  }
}

function writeAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/** The parent's parameters (when fine-tuning) and the feature statistics: the parent's, or the normal samples'. */
function initParams(
  o: FitOptions,
  trainer: Trainer,
  params: ReadonlyMap<string, unknown>,
  frozen: ReadonlySet<string>,
): FeatureStats {
  if (o.init) {
    for (const [name, values] of o.init) if (params.has(name)) trainer.setParam(name, values);
    for (const name of frozen)
      if (!o.init.has(name)) throw new AdtrError('LW_ADTR_CONFIG', `parent parameters lack ${name}`);
  }
  const normals = o.samples.filter((s) => s.label !== 1).map((s) => s.features);
  const stats: FeatureStats = o.init
    ? { mean: Float32Array.from(trainer.param(FEATURE_MEAN)), std: Float32Array.from(trainer.param(FEATURE_STD)) }
    : featureStats(normals.length ? normals : o.samples.map((s) => s.features), o.channels);
  trainer.setParam(FEATURE_MEAN, stats.mean);
  trainer.setParam(FEATURE_STD, stats.std);
  return stats;
}

/** Restores the checkpoint when resuming; returns the epoch to continue from (0 for a fresh run). */
function resumeFrom(o: FitOptions, trainer: Trainer, freezeDecoder: boolean): number {
  if (!o.resume || !o.checkpointPath || !existsSync(o.checkpointPath)) return 0;
  const bytes = new Uint8Array(readFileSync(o.checkpointPath));
  const meta = decodeCheckpoint(bytes).meta;
  if (meta['kind'] !== o.kind)
    throw new AdtrError('LW_ADTR_CONFIG', `checkpoint is for ${String(meta['kind'])} training, not ${o.kind}`);
  // The optimizer state covers the trainable parameters only, so a resume must train the same set.
  if ((meta['freezeDecoder'] === true) !== freezeDecoder) {
    throw new AdtrError(
      'LW_ADTR_CONFIG',
      `checkpoint was written with the decoder ${freezeDecoder ? 'trained' : 'frozen'}; resume with the same setting`,
    );
  }
  trainer.loadCheckpoint(bytes);
  return Number(meta['epoch'] ?? 0);
}

const hasAnomalousToken = (s: TrainSample): boolean => s.tokenMask?.some((v) => v > 0) === true;

/**
 * Mixed runs: the L_px weight of each sample (lossMixed). A masked anomaly 1, an anomaly without anomalous tokens 0
 * (image label only: L_px would pull it as normal), a normal the share of masked anomalies, so that all-masked data
 * trains exactly L_px and mask-less data exactly L_img.
 */
export function pxWeights(samples: readonly TrainSample[]): Float32Array {
  const anomalies = samples.filter((s) => s.label === 1);
  const share = anomalies.length ? anomalies.filter(hasAnomalousToken).length / anomalies.length : 0;
  return Float32Array.from(samples, (s) => (s.label !== 1 ? share : hasAnomalousToken(s) ? 1 : 0));
}

/** Batch buffers, allocated once and refilled per step (the graph's inputs for the loss kind). */
function batchFeeder(o: FitOptions): (idx: readonly number[]) => Record<string, Float32Array> {
  const { batchSize } = o.schedule;
  const tokens = o.model.grid[0] * o.model.grid[1];
  const featureBuf = new Float32Array(batchSize * o.channels * tokens);
  const maskBuf = new Float32Array(batchSize * tokens);
  const hasBuf = new Float32Array(batchSize);
  const labelBuf = new Float32Array(batchSize);
  const weightBuf = new Float32Array(batchSize);
  const withMasks = o.kind === 'px' || o.kind === 'mixed';
  const weights = o.kind === 'mixed' ? pxWeights(o.samples) : undefined;
  return (idx): Record<string, Float32Array> => {
    idx.forEach((sampleIndex, j) => {
      const s = o.samples[sampleIndex] as TrainSample;
      featureBuf.set(s.features, j * o.channels * tokens);
      if (withMasks) {
        if (s.tokenMask) maskBuf.set(s.tokenMask, j * tokens);
        else maskBuf.fill(0, j * tokens, (j + 1) * tokens);
        hasBuf[j] = hasAnomalousToken(s) ? 1 : 0;
      }
      labelBuf[j] = s.label ?? 0;
      if (weights) weightBuf[j] = weights[sampleIndex] as number;
    });
    if (o.kind === 'norm') return { features: featureBuf };
    if (o.kind === 'px') return { features: featureBuf, mask: maskBuf, has_anomaly: hasBuf };
    if (o.kind === 'img') return { features: featureBuf, label: labelBuf };
    return { features: featureBuf, mask: maskBuf, has_anomaly: hasBuf, label: labelBuf, px_weight: weightBuf };
  };
}

/** Epoch order: shuffled for L_norm, anomalous/normal balanced for fine-tunes; seeded by (seed, epoch) for resumes. */
function epochBatches(o: FitOptions, seed: number, epoch: number): number[][] {
  const rng = seededRng((seed * 1000003 + epoch) >>> 0);
  const all = o.samples.map((_, i) => i);
  const anomalous = o.samples.map((s, i) => (s.label === 1 ? i : -1)).filter((i) => i >= 0);
  const normalIdx = o.samples.map((s, i) => (s.label === 1 ? -1 : i)).filter((i) => i >= 0);
  const order = o.kind === 'norm' ? shuffle(all, rng) : balancedOrder(anomalous, normalIdx, rng);
  return toBatches(order, o.schedule.batchSize, rng);
}

/** One epoch of steps; returns the mean loss. */
async function runEpoch(
  o: FitOptions,
  trainer: Trainer,
  feed: ReturnType<typeof batchFeeder>,
  epoch: number,
  lr: number,
  seed: number,
): Promise<number> {
  const batches = epochBatches(o, seed, epoch);
  let sum = 0;
  for (let b = 0; b < batches.length; b++) {
    const { loss } = await trainer.step(feed(batches[b] as number[]), lr);
    if (!Number.isFinite(loss))
      throw new AdtrError('LW_ADTR_CONFIG', `loss became ${loss} at epoch ${epoch + 1}; lower the learning rate`);
    sum += loss;
    o.onStep?.({ epoch: epoch + 1, epochs: o.schedule.epochs, step: b + 1, stepsPerEpoch: batches.length, loss, lr });
  }
  return sum / Math.max(batches.length, 1);
}

export async function fit(o: FitOptions): Promise<FitResult> {
  checkSamples(o);
  const t0 = performance.now();
  const seed = o.seed ?? 0;
  const tg = buildTrainingGraph(o.model, o.channels, o.schedule.batchSize, o.kind, o.loss, seed);
  const frozen = new Set([FEATURE_MEAN, FEATURE_STD]);
  const freezeDecoder = o.schedule.freezeDecoder === true;
  const trainer = await Trainer.create({
    graph: tg.graph,
    loss: tg.loss,
    optimizer: adamw({ weightDecay: o.schedule.weightDecay }),
    trainable: tg.graph.paramTensors().filter((t) => !frozen.has(t.name) && !(freezeDecoder && isDecoderParam(t.name))),
    threads: o.threads ?? 2,
    ...(o.executionProviders ? { executionProviders: o.executionProviders } : {}),
    ...(o.deviceId !== undefined ? { deviceId: o.deviceId } : {}),
  });
  try {
    const stats = initParams(o, trainer, tg.graph.params, frozen);
    const startEpoch = resumeFrom(o, trainer, freezeDecoder);
    const { epochs } = o.schedule;
    const lrAt = stepDecay(
      o.schedule.lr,
      o.schedule.decayEpoch < epochs ? [o.schedule.decayEpoch] : [],
      o.schedule.decayFactor,
    );
    const feed = batchFeeder(o);
    const history: { epoch: number; loss: number; lr: number }[] = [];
    for (let epoch = startEpoch; epoch < epochs; epoch++) {
      const lr = lrAt(epoch);
      const mean = await runEpoch(o, trainer, feed, epoch, lr, seed);
      history.push({ epoch: epoch + 1, loss: mean, lr });
      o.onEpoch?.({ epoch: epoch + 1, epochs, loss: mean, lr });
      if (o.checkpointPath)
        writeAtomic(o.checkpointPath, trainer.saveCheckpoint({ epoch: epoch + 1, kind: o.kind, seed, freezeDecoder }));
    }
    const params = new Map<string, Float32Array>();
    for (const name of tg.graph.params.keys()) params.set(name, Float32Array.from(trainer.param(name)));
    return { params, history, stats, resumedFromEpoch: startEpoch, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await trainer.release();
  }
}
