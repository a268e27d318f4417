/**
 * Local train / finetune: the threshold is the 99.5th percentile of the normal images kept out of training (the
 * validation share). From two images that is their maximum, and "0 false alarms of 2" still allows 66 % — the number
 * a fine-tune once shipped. So, like a worker's job (worker/heldout.ts), a run with fewer than
 * `--min-calibration-normals` such images is refused before any training, with the count and what to do.
 */
import { TrainerError } from '../errors.js';

/**
 * The CLI's default minimum: "0 false alarms of 20" still allows ≈ 16 % (Wilson, 95 %), which the manifest reports;
 * below that the number is noise. A worker's jobs default to 50 (they add the held-out normals).
 */
export const MIN_LOCAL_CALIBRATION_NORMALS = 20;

/** Throws LW_TRAINER_TOO_FEW_NORMALS when fewer than `minNormals` validation normals calibrate the threshold. */
export function checkLocalCalibrationNormals(
  validation: number,
  minNormals: number | undefined,
  data: string,
  fraction: number,
): void {
  if (minNormals === undefined || validation >= minNormals) return;
  throw new TrainerError(
    'LW_TRAINER_TOO_FEW_NORMALS',
    `not enough normal frames: ${validation} of ${minNormals} to calibrate the threshold (the ${Math.round(fraction * 100)} % of ${data}'s normal images kept from training); a threshold from so few frames is noise — add normal images, or pass --min-calibration-normals ${Math.max(1, validation)} to accept it`,
    { normals: validation, needed: minNormals },
  );
}
