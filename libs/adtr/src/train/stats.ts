/** Per-channel statistics of normal training features (grid features laid out [C, T] per image). */
export interface FeatureStats {
  readonly mean: Float32Array;
  readonly std: Float32Array;
}

/** Floor for std so a dead channel (constant after ReLU6) does not blow up to ∞. */
const STD_FLOOR = 1e-3;

export function featureStats(features: readonly Float32Array[], channels: number): FeatureStats {
  const mean = new Float64Array(channels);
  const sq = new Float64Array(channels);
  let count = 0;
  for (const f of features) {
    const tokens = f.length / channels;
    count += tokens;
    for (let c = 0; c < channels; c++) {
      let s = 0;
      let s2 = 0;
      for (let t = 0; t < tokens; t++) {
        const v = f[c * tokens + t] as number;
        s += v;
        s2 += v * v;
      }
      mean[c] = (mean[c] as number) + s;
      sq[c] = (sq[c] as number) + s2;
    }
  }
  const m = new Float32Array(channels);
  const sd = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const mu = (mean[c] as number) / Math.max(count, 1);
    m[c] = mu;
    sd[c] = Math.max(Math.sqrt(Math.max((sq[c] as number) / Math.max(count, 1) - mu * mu, 0)), STD_FLOOR);
  }
  return { mean: m, std: sd };
}
