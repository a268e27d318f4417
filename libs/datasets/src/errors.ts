/**
 * Coded errors for @linewatch/datasets. Messages always name the offending file (or manifest line), because the
 * person reading them is fixing a dataset folder or an export, not debugging code.
 */
export const DatasetErrorCodes = {
  /** A required folder (root, train/good, test, ground_truth/<defect>) does not exist. */
  MISSING_FOLDER: 'LW_DATA_MISSING_FOLDER',
  /** An image file cannot be read or decoded (corrupt, wrong format, over the size limits). */
  UNREADABLE_IMAGE: 'LW_DATA_UNREADABLE_IMAGE',
  /** A defect image has no ground-truth mask where one is required. */
  MISSING_MASK: 'LW_DATA_MISSING_MASK',
  /** A mask's size differs from its image's size. */
  MASK_SIZE_MISMATCH: 'LW_DATA_MASK_SIZE_MISMATCH',
  /** A dataset/manifest contains no samples. */
  EMPTY: 'LW_DATA_EMPTY',
  /** A JSONL manifest line is not a valid entry (details.line is 1-based). */
  MANIFEST_INVALID: 'LW_DATA_MANIFEST_INVALID',
  /** Feature cache I/O failed (not corruption, which is healed by recomputing). */
  CACHE_IO: 'LW_DATA_CACHE_IO',
  /** An argument is out of range or inconsistent. */
  BAD_ARGUMENT: 'LW_DATA_BAD_ARGUMENT',
  /** A required data file (IDX file, CIFAR-10 batch) does not exist. */
  MISSING_FILE: 'LW_DATA_MISSING_FILE',
  /** A binary data file is not in the expected format (wrong magic, header, label or size). */
  BAD_FORMAT: 'LW_DATA_BAD_FORMAT',
  /** A binary data file ends before the records its header (or format) promises. */
  TRUNCATED: 'LW_DATA_TRUNCATED',
} as const;

export type DatasetErrorCode = (typeof DatasetErrorCodes)[keyof typeof DatasetErrorCodes];

export class DatasetError extends Error {
  readonly code: DatasetErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: DatasetErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'DatasetError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

export function isDatasetError(e: unknown, code?: DatasetErrorCode): e is DatasetError {
  return e instanceof DatasetError && (code === undefined || e.code === code);
}
