/**
 * The held-out comparison per defect type: a job's held-out anomalies carry their defect class (the controller's
 * snapshot `defectClass`) or, unclassified, their loss kind (`px` / `img`) as `defectType`. Each type's image AUROC is
 * its anomalies against ALL held-out normals (the eval report's convention), so types compare with each other and
 * with the overall figure; null when the type or the normals are missing.
 */
import { metricSet, defectTypes, subsetFor } from '../eval/metrics.js';
import type { SampleResult } from '../eval/evaluate.js';

export interface ClassHeldOutMetrics {
  defectType: string;
  /** Held-out anomalies of this type. */
  n: number;
  imageAuroc: number | null;
  pixelAuroc: number | null;
}

export function heldOutByClass(results: readonly SampleResult[]): ClassHeldOutMetrics[] {
  return defectTypes(results).map((defectType) => {
    const subset = subsetFor(results, defectType);
    const m = metricSet(subset);
    const n = subset.filter((r) => r.label === 1).length;
    return { defectType, n, imageAuroc: m.imageAuroc, pixelAuroc: m.pixelAuroc };
  });
}
