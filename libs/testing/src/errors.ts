/**
 * Coded errors for @linewatch/testing. A test that must read data from ../shared fails with a stable code that names
 * what is missing, so CI never loses the data silently.
 */
export const TestingErrorCodes = {
  /** Data under ../shared is absent while LW_REQUIRE_SHARED_DATA=1 (CI) says it must be there. */
  SHARED_DATA_MISSING: 'LW_TESTING_SHARED_DATA_MISSING',
} as const;

export type TestingErrorCode = (typeof TestingErrorCodes)[keyof typeof TestingErrorCodes];

export class TestingError extends Error {
  readonly code: TestingErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: TestingErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'TestingError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

export function isTestingError(e: unknown, code?: TestingErrorCode): e is TestingError {
  return e instanceof TestingError && (code === undefined || e.code === code);
}
