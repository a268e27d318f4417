/** The adtr lib's error catalogue. */
export const ADTR_ERRORS = {
  LW_ADTR_CONFIG: 'A model configuration value is out of range or inconsistent.',
} as const;

export type AdtrErrorCode = keyof typeof ADTR_ERRORS;

export class AdtrError extends Error {
  readonly code: AdtrErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: AdtrErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(`${code}: ${message}`, options);
    this.name = 'AdtrError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

export function isAdtrError(err: unknown, code?: AdtrErrorCode): err is AdtrError {
  return err instanceof AdtrError && (code === undefined || err.code === code);
}
