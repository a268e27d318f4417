/**
 * Evaluation samples from an MVTec-layout folder (test split by default) or a JSONL manifest, in one shape. Listing
 * happens before any model run so a missing folder fails in seconds, not after half the images. Anomalous images
 * without a mask (image-level labels) are accepted from both: see metrics.ts for what they count in.
 */
import { statSync } from 'node:fs';
import { loadMvtec, readManifest, type Split } from '@linewatch/datasets';
import { TrainerError } from '../errors.js';

export interface EvalSample {
  readonly path: string;
  readonly maskPath: string | null;
  /** null only for manifest entries with a mask but no label: decided from the mask once it is read. */
  readonly label: 0 | 1 | null;
  /** 'good' for normal images; MVTec folder name or manifest defectType (else 'unknown') for anomalies. */
  readonly defectType: string;
  /** Where the sample came from, for error messages (`manifest.jsonl:12` or the image path). */
  readonly source: string;
}

export interface EvalData {
  readonly kind: 'mvtec' | 'manifest';
  readonly root: string;
  readonly samples: readonly EvalSample[];
}

export const NORMAL = 'good';
export const UNKNOWN_DEFECT = 'unknown';

export async function loadEvalData(path: string, split: Split = 'test'): Promise<EvalData> {
  if (statSync(path).isDirectory()) {
    // Image-level labels are enough: an anomaly without a mask is scored, it only stays out of the pixel metrics.
    const ds = await loadMvtec(path, { splits: [split], requireMasks: false });
    return {
      kind: 'mvtec',
      root: path,
      samples: ds.samples.map((s) => ({
        path: s.path,
        maskPath: s.maskPath,
        label: s.label,
        defectType: s.defectType,
        source: s.path,
      })),
    };
  }
  const entries = await readManifest(path);
  const samples = entries.map((s): EvalSample => {
    const source = `${path}:${s.line}`;
    if (s.label === null && s.maskPath === null) {
      throw new TrainerError(
        'LW_TRAINER_DATA_UNLABELLED',
        `${source}: ${s.entry.image} has no label and no mask, so it cannot be scored`,
        {
          source: path,
          line: s.line,
        },
      );
    }
    const defectType = s.label === 0 ? NORMAL : (s.entry.defectType ?? UNKNOWN_DEFECT);
    return { path: s.path, maskPath: s.maskPath, label: s.label, defectType, source };
  });
  return { kind: 'manifest', root: path, samples };
}
