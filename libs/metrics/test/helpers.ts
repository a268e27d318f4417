/** Test helpers: a seeded PRNG and brute-force reference metrics. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** O(P·N) Mann–Whitney AUROC with ties = ½: the definition itself. */
export function bruteAuroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let u = 0;
  let p = 0;
  let n = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!labels[i]) continue;
    p++;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j]) continue;
      if (scores[i]! > scores[j]!) u += 1;
      else if (scores[i] === scores[j]) u += 0.5;
    }
  }
  for (let j = 0; j < scores.length; j++) if (!labels[j]) n++;
  return u / (p * n);
}
