/**
 * Token-resolution anomaly maps from cached features with given parameters: the same reconstruction and scoring
 * nodes as training, exported forward-only with the parameters baked in. Used for validation during training and
 * for fast evaluation (the deployed model adds only the backbone and upsampling in front of/after these nodes).
 */
import { exportModel } from '@linewatch/graph';
import { float32, InferenceSession } from '@linewatch/inference';
import { AdtrError } from '../errors.js';
import type { ModelConfig } from '../model/config.js';
import { buildTrainingGraph } from '../model/graphs.js';

export interface PredictOptions {
  readonly model: ModelConfig;
  readonly channels: number;
  readonly params: ReadonlyMap<string, Float32Array>;
  readonly batchSize?: number;
  readonly threads?: number;
}

export class TokenMapPredictor {
  private constructor(
    private readonly session: InferenceSession,
    private readonly batch: number,
    private readonly channels: number,
    private readonly grid: readonly [number, number],
  ) {}

  private get tokens(): number {
    return this.grid[0] * this.grid[1];
  }

  private get size(): number {
    return this.channels * this.tokens;
  }

  static async create(o: PredictOptions): Promise<TokenMapPredictor> {
    const batch = o.batchSize ?? 8;
    const tg = buildTrainingGraph(o.model, o.channels, batch, 'norm', { alpha: 0, topK: 1 });
    const bytes = exportModel({
      graph: tg.graph,
      outputs: { map: tg.tokenMap },
      paramsAs: 'initializers',
      paramValue: (name) => {
        const v = o.params.get(name);
        if (!v) throw new AdtrError('LW_ADTR_CONFIG', `missing parameter ${name}`);
        return v;
      },
    }).bytes;
    const session = await InferenceSession.open(bytes, { intraOpThreads: o.threads ?? 2 });
    return new TokenMapPredictor(session, batch, o.channels, o.model.grid);
  }

  /** One [rows·cols] map per feature array. */
  async predict(features: readonly Float32Array[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const buf = new Float32Array(this.batch * this.size);
    for (let i = 0; i < features.length; i += this.batch) {
      for (let j = 0; j < this.batch; j++) {
        const f = features[Math.min(i + j, features.length - 1)] as Float32Array;
        if (f.length !== this.size)
          throw new AdtrError('LW_ADTR_CONFIG', `features have ${f.length} values, expected ${this.size}`);
        buf.set(f, j * this.size);
      }
      const res = await this.session.run({
        features: float32(buf, [this.batch, this.channels, this.grid[0], this.grid[1]]),
      });
      const maps = res['map']!.data as Float32Array;
      for (let j = 0; j < this.batch && i + j < features.length; j++)
        out.push(maps.slice(j * this.tokens, (j + 1) * this.tokens));
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
