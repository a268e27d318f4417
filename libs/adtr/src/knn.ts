/**
 * PatchCore-style baseline: every normal training token's feature vector goes into a memory bank; a test token's
 * score is the Euclidean distance to its nearest bank vector. Distances run as one MatMul per chunk in
 * onnxruntime (‖q‖² + ‖b‖² − 2·q·bᵀ, then ReduceMin), which is ~100× faster than a JS loop. No coreset: the bank is
 * small enough here (600 images × 196 tokens).
 */
import { add, clip, exportModel, Graph, matmul, mul, neg, reduceMax, reduceSum, sqrt, sub } from '@linewatch/graph';
import { float32, InferenceSession } from '@linewatch/inference';
import { AdtrError } from './errors.js';

export class KnnScorer {
  private constructor(
    private readonly session: InferenceSession,
    private readonly channels: number,
    private readonly chunk: number,
  ) {}

  /** @param bank grid features [C, T] per normal image */
  static async create(
    bank: readonly Float32Array[],
    channels: number,
    options: { chunk?: number; threads?: number } = {},
  ): Promise<KnnScorer> {
    if (bank.length === 0) throw new AdtrError('LW_ADTR_CONFIG', 'kNN needs at least one normal image');
    const tokens = (bank[0] as Float32Array).length / channels;
    const n = bank.length * tokens;
    const rows = new Float32Array(n * channels);
    bank.forEach((f, i) => {
      for (let t = 0; t < tokens; t++)
        for (let c = 0; c < channels; c++) rows[(i * tokens + t) * channels + c] = f[c * tokens + t] as number;
    });
    const chunk = options.chunk ?? 1024;
    const g = new Graph();
    const q = g.input('q', [chunk, channels]);
    const bt = g.constant(transposeRows(rows, n, channels), [channels, n], 'bank_t');
    const qq = reduceSum(mul(q, q), 1, { keepDims: true }); // [chunk, 1]
    const bb = g.constant(rowNorms(rows, n, channels), [1, n], 'bank_norms');
    const d2 = add(sub(qq, mul(matmul(q, bt), 2)), bb); // [chunk, n]
    // min = −max(−x): the graph lib has ReduceMax (with a gradient rule) and no ReduceMin.
    const dist = sqrt(clip(neg(reduceMax(neg(d2), 1)), 0));
    const model = exportModel({ graph: g, outputs: { dist }, paramsAs: 'initializers' });
    const session = await InferenceSession.open(model.bytes, { intraOpThreads: options.threads ?? 2 });
    return new KnnScorer(session, channels, chunk);
  }

  /** Token maps: nearest-neighbour distance per token of each image (features [C, T]). */
  async score(features: readonly Float32Array[]): Promise<Float32Array[]> {
    const c = this.channels;
    const tokens = ((features[0] as Float32Array | undefined)?.length ?? 0) / c;
    const all = new Float32Array(features.length * tokens * c);
    features.forEach((f, i) => {
      for (let t = 0; t < tokens; t++)
        for (let k = 0; k < c; k++) all[(i * tokens + t) * c + k] = f[k * tokens + t] as number;
    });
    const total = features.length * tokens;
    const dist = new Float32Array(total);
    const buf = new Float32Array(this.chunk * c);
    for (let start = 0; start < total; start += this.chunk) {
      const count = Math.min(this.chunk, total - start);
      buf.fill(0);
      buf.set(all.subarray(start * c, (start + count) * c));
      const res = await this.session.run({ q: float32(buf, [this.chunk, c]) });
      dist.set((res['dist']!.data as Float32Array).subarray(0, count), start);
    }
    return features.map((_, i) => dist.slice(i * tokens, (i + 1) * tokens));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function transposeRows(rows: Float32Array, n: number, c: number): Float32Array {
  const out = new Float32Array(n * c);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) out[k * n + i] = rows[i * c + k] as number;
  return out;
}

function rowNorms(rows: Float32Array, n: number, c: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += (rows[i * c + k] as number) ** 2;
    out[i] = s;
  }
  return out;
}
