/**
 * Epoch plans: which samples go into which fixed-size batch. Graph shapes are static, so every batch has exactly
 * `batchSize` samples; a short epoch is filled by drawing again (seeded), never by changing shapes.
 */
export interface Rng {
  next(): number;
}

export function seededRng(seed: number): Rng {
  let s = seed >>> 0 || 0x9e3779b9;
  return {
    next() {
      // mulberry32
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

export function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/** Batches of indices covering `order` once (the last one topped up with random earlier indices). */
export function toBatches(order: readonly number[], batchSize: number, rng: Rng): number[][] {
  if (order.length === 0) return [];
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) {
    const b = order.slice(i, i + batchSize);
    while (b.length < batchSize) b.push(order[Math.floor(rng.next() * order.length)] as number);
    batches.push(b);
  }
  return batches;
}

/**
 * Fine-tuning epochs are balanced: every labelled anomaly once, plus as many normals drawn without replacement,
 * so a few dozen defects are not drowned by hundreds of normal images (and epochs stay short).
 */
export function balancedOrder(anomalous: readonly number[], normal: readonly number[], rng: Rng): number[] {
  const normals = shuffle(normal, rng).slice(0, Math.max(anomalous.length, 1));
  return shuffle([...anomalous, ...normals], rng);
}
