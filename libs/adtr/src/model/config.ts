/**
 * ADTR model and training-schedule settings, with the two presets the trainer offers.
 *
 * `paper` follows the ADTR paper (4+4 layers, D = 256, AdamW 1e-4, batch 16, 500 epochs with ×0.1 at 400; fine-tune
 * 300 epochs with ×0.1 at 200). `cpu` is sized so the whole Magnetic Tile run (normal-only, two fine-tunes, the kNN
 * baseline, evaluation) fits in 30 minutes on a 2-core machine; its input size, grid and taps were chosen by
 * measurement (128 px beat 160/224/320 px on Magnetic Tile: the tiles are small and their defects coarse; letterboxing,
 * the intensity tap, α = 0.1 for L_px, and the own-token mask with decoder-frozen fine-tunes each helped there), see
 * README "How the cpu preset was chosen" and "Own-token mask + frozen decoder".
 */
import { AdtrError } from '../errors.js';

export interface ModelConfig {
  /** Network input [height, width]; frames are resized to this. */
  readonly inputSize: readonly [number, number];
  /**
   * How frames of another aspect ratio fit the input: 'stretch' (default) or 'letterbox' (aspect kept, centred, bands
   * in the frame's mean colour). Written into the manifest's `input.fit`.
   */
  readonly fit?: 'stretch' | 'letterbox';
  /** Adds the input's mean per token (relative to the frame's mean) to the token features; see `intensityTap`. */
  readonly intensityTap?: boolean;
  /** Backbone layers whose outputs form the token features. */
  readonly taps: readonly string[];
  /**
   * The same taps in other backbone families' layer names (e.g. MobileNetV2's for a preset made for InceptionV3):
   * the trainer uses the first set whose layers all exist in the chosen backbone when `taps` do not, and records
   * the set it used as the package's `taps`.
   */
  readonly altTaps?: readonly (readonly string[])[];
  /** Token grid [rows, cols]: every tap is resized (bilinear, align-corners) to it. */
  readonly grid: readonly [number, number];
  readonly dim: number;
  readonly heads: number;
  readonly encoderLayers: number;
  readonly decoderLayers: number;
  /** FFN hidden size = ffnMult · dim (4 in the paper). */
  readonly ffnMult: number;
  /** Image score = max of the input-resolution map after average pooling with this window (1 = plain max). */
  readonly scorePool: number;
  /**
   * Deviation: each decoder position's cross-attention cannot see its own encoder output (an additive −10⁴ on the
   * diagonal), so a token is rebuilt from the others and a small defect is not passed straight through. Part of the
   * deployed graph. Pair it with `Schedule.freezeDecoder` for fine-tunes: retraining the decoder loses what it buys
   * (README "Own-token mask + frozen decoder").
   */
  readonly ownTokenMask?: boolean;
}

export interface Schedule {
  readonly epochs: number;
  /** Epoch at which the learning rate is multiplied by `decayFactor` (step decay). */
  readonly decayEpoch: number;
  readonly decayFactor: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly batchSize: number;
  /**
   * Fine-tunes only: keep the decoder side (decoder layers, auxiliary queries, output projection) as the parent left
   * it and train the input projection, positional embeddings and encoder. On Magnetic Tile's L_px fine-tune this
   * raised pixel AUROC 0.904 → 0.921 (seed 3: 0.888 → 0.916) and moved image AUROC 0.952 → 0.951 (0.951 → 0.946);
   * README "Fine-tuning without the decoder". On in `cpu`, whose own-token mask a retrained decoder would undo;
   * off in the other presets.
   */
  readonly freezeDecoder?: boolean;
}

export interface LossSettings {
  /** α in L_px / L_img (0.003 in the paper). */
  readonly alpha: number;
  /**
   * α for L_px's push term where it differs from `alpha`. Our features are standardised per channel, which sets φ's
   * scale; at the paper's 0.003 the push is too weak to stop uneven-brightness defects being reconstructed.
   */
  readonly alphaPx?: number;
  /** k for L_img's top-k mean (20 in the paper). */
  readonly topK: number;
}

export interface Preset {
  readonly name: 'paper' | 'cpu' | 'tiny' | 'demo' | 'semantic';
  readonly model: ModelConfig;
  readonly normal: Schedule;
  readonly finetune: Schedule;
  readonly loss: LossSettings;
}

export const DEFAULT_TAPS = ['block_5_add', 'block_12_add'] as const;
/** Adds the stride-16 mid-level residual stream (block 9) to the two default taps. */
export const CPU_TAPS = ['block_5_add', 'block_9_add', 'block_12_add'] as const;

const PAPER_LOSS: LossSettings = { alpha: 0.003, topK: 20 };
/** The paper's α for L_img; α = 0.1 for L_px, from a sweep on the Magnetic Tile dev split (README). */
const CPU_LOSS: LossSettings = { ...PAPER_LOSS, alphaPx: 0.1 };

export const PRESETS: Readonly<Record<Preset['name'], Preset>> = {
  paper: {
    name: 'paper',
    model: {
      inputSize: [224, 224],
      taps: DEFAULT_TAPS,
      grid: [14, 14],
      dim: 256,
      heads: 8,
      encoderLayers: 4,
      decoderLayers: 4,
      ffnMult: 4,
      scorePool: 16,
    },
    normal: { epochs: 500, decayEpoch: 400, decayFactor: 0.1, lr: 1e-4, weightDecay: 1e-4, batchSize: 16 },
    finetune: { epochs: 300, decayEpoch: 200, decayFactor: 0.1, lr: 1e-4, weightDecay: 1e-4, batchSize: 16 },
    loss: PAPER_LOSS,
  },
  cpu: {
    name: 'cpu',
    model: {
      inputSize: [128, 128],
      fit: 'letterbox',
      intensityTap: true,
      taps: CPU_TAPS,
      grid: [8, 8],
      dim: 128,
      heads: 8,
      encoderLayers: 2,
      decoderLayers: 2,
      ffnMult: 4,
      scorePool: 16,
      ownTokenMask: true,
    },
    normal: { epochs: 40, decayEpoch: 32, decayFactor: 0.1, lr: 1e-3, weightDecay: 1e-4, batchSize: 16 },
    finetune: {
      epochs: 120,
      decayEpoch: 100,
      decayFactor: 0.1,
      lr: 1e-3,
      weightDecay: 1e-4,
      batchSize: 16,
      freezeDecoder: true,
    },
    loss: CPU_LOSS,
  },
  /**
   * Object-level (semantic) anomalies — a wrong part, another object — rather than surface defects. The `cpu` model
   * (128 px letterboxed, intensity tap, blocks 5/9/12 of MobileNetV2, 8×8 tokens, own-token mask) with the whole
   * map's mean as the image score (scorePool = input size: one window over the map, so the deployed graph's `score`
   * is the map's mean, which the agent uses as is; the paper's choice for one-class CIFAR-10): an object-level anomaly
   * changes most tokens a little rather than a few a lot. Chosen by measurement on one-class Fashion-MNIST against
   * the deeper InceptionV3 taps tried first (README "How the semantic preset was chosen"); on the nsfwjs InceptionV3
   * (`--backbone nsfwjs:inception_v3`) it takes `mixed5` + `mixed7` through `altTaps`.
   */
  semantic: {
    name: 'semantic',
    model: {
      inputSize: [128, 128],
      fit: 'letterbox',
      intensityTap: true,
      taps: CPU_TAPS,
      altTaps: [['mixed5', 'mixed7']],
      grid: [8, 8],
      dim: 128,
      heads: 8,
      encoderLayers: 2,
      decoderLayers: 2,
      ffnMult: 4,
      scorePool: 128,
      ownTokenMask: true,
    },
    normal: { epochs: 40, decayEpoch: 32, decayFactor: 0.1, lr: 1e-3, weightDecay: 1e-4, batchSize: 16 },
    finetune: { epochs: 40, decayEpoch: 32, decayFactor: 0.1, lr: 1e-3, weightDecay: 1e-4, batchSize: 16 },
    loss: PAPER_LOSS,
  },
  /** For tests and the demo: trains in seconds on synthetic surfaces. */
  tiny: {
    name: 'tiny',
    model: {
      inputSize: [64, 64],
      fit: 'letterbox',
      intensityTap: true,
      taps: ['block_2_add', 'block_5_add'],
      grid: [8, 8],
      dim: 32,
      heads: 4,
      encoderLayers: 1,
      decoderLayers: 1,
      ffnMult: 2,
      scorePool: 4,
    },
    normal: { epochs: 8, decayEpoch: 6, decayFactor: 0.1, lr: 2e-3, weightDecay: 1e-4, batchSize: 8 },
    finetune: { epochs: 6, decayEpoch: 4, decayFactor: 0.1, lr: 1e-3, weightDecay: 1e-4, batchSize: 8 },
    loss: { alpha: 0.003, topK: 4 },
  },
  /**
   * `npm start`'s first model: tiny's shape at twice the resolution (small defects on 160×120 agent frames survive
   * the resize), more epochs; about a minute on 2 cores for a few hundred synthetic frames.
   */
  demo: {
    name: 'demo',
    model: {
      inputSize: [128, 128],
      taps: ['block_2_add', 'block_5_add'],
      grid: [16, 16],
      dim: 48,
      heads: 4,
      encoderLayers: 1,
      decoderLayers: 1,
      ffnMult: 2,
      scorePool: 8,
    },
    normal: { epochs: 30, decayEpoch: 24, decayFactor: 0.1, lr: 2e-3, weightDecay: 1e-4, batchSize: 8 },
    finetune: { epochs: 12, decayEpoch: 9, decayFactor: 0.1, lr: 1e-3, weightDecay: 1e-4, batchSize: 8 },
    loss: { alpha: 0.003, topK: 8 },
  },
};

export function checkModelConfig(c: ModelConfig): ModelConfig {
  const bad = (why: string): never => {
    throw new AdtrError('LW_ADTR_CONFIG', why, { config: c });
  };
  const posInt = (v: number) => Number.isInteger(v) && v > 0;
  if (!c.inputSize.every(posInt) || !c.grid.every(posInt)) bad('inputSize and grid must be positive integers');
  if (c.taps.length === 0) bad('at least one tap');
  if (c.fit !== undefined && c.fit !== 'stretch' && c.fit !== 'letterbox') bad(`fit must be 'stretch' or 'letterbox'`);
  if (!posInt(c.dim) || !posInt(c.heads) || c.dim % c.heads !== 0)
    bad(`dim ${c.dim} must be a multiple of heads ${c.heads}`);
  if (!Number.isInteger(c.encoderLayers) || c.encoderLayers < 0 || !posInt(c.decoderLayers))
    bad('layer counts out of range');
  if (!posInt(c.ffnMult) || !posInt(c.scorePool)) bad('ffnMult and scorePool must be positive integers');
  if (c.scorePool > Math.min(c.inputSize[0], c.inputSize[1])) bad('scorePool larger than the input');
  return c;
}

export function presetByName(name: string): Preset {
  const p = (PRESETS as Record<string, Preset | undefined>)[name];
  if (!p) throw new AdtrError('LW_ADTR_CONFIG', `unknown preset "${name}" (known: ${Object.keys(PRESETS).join(', ')})`);
  return p;
}
