/**
 * Coded errors for @linewatch/metrics. Every rejection of bad input carries a stable `LW_METRICS_*` code so callers
 * (trainer evaluation, controller reports) can branch on it without parsing messages.
 */
export const MetricsErrorCodes = {
  /** No samples at all. */
  EMPTY: 'LW_METRICS_EMPTY',
  /** Scores and labels (or maps and masks) differ in length or shape. */
  LENGTH_MISMATCH: 'LW_METRICS_LENGTH_MISMATCH',
  /** Only positives or only negatives: the metric is undefined. */
  SINGLE_CLASS: 'LW_METRICS_SINGLE_CLASS',
  /** A score is NaN (cannot be ordered). */
  NON_FINITE: 'LW_METRICS_NON_FINITE',
  /** An option is out of range (quantile outside [0,1], FPR limit outside (0,1], ...). */
  BAD_ARGUMENT: 'LW_METRICS_BAD_ARGUMENT',
  /** Too few samples for the number to mean anything (e.g. a threshold from two normal frames). */
  NOT_ENOUGH_DATA: 'LW_METRICS_NOT_ENOUGH_DATA',
} as const;

export type MetricsErrorCode = (typeof MetricsErrorCodes)[keyof typeof MetricsErrorCodes];

export class MetricsError extends Error {
  readonly code: MetricsErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: MetricsErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(`${code}: ${message}`);
    this.name = 'MetricsError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

export function isMetricsError(e: unknown, code?: MetricsErrorCode): e is MetricsError {
  return e instanceof MetricsError && (code === undefined || e.code === code);
}
