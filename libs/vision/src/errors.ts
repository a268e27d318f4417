/**
 * Coded errors for @linewatch/vision. Callers (agent frame loop, controller uploads, dataset loader) branch on
 * `code`; `details` carries the numbers that explain the rejection (sizes, limits, detected format).
 */
export const VisionErrorCodes = {
  /** Bytes are not a decodable image (truncated, corrupt, empty). */
  UNREADABLE: 'LW_VISION_UNREADABLE',
  /** Declared width × height exceeds the pixel limit; rejected before decoding. */
  TOO_LARGE: 'LW_VISION_TOO_LARGE',
  /** Magic bytes say neither JPEG nor PNG. */
  UNSUPPORTED_FORMAT: 'LW_VISION_UNSUPPORTED_FORMAT',
  /** Two images/maps/masks that must share a size do not. */
  SIZE_MISMATCH: 'LW_VISION_SIZE_MISMATCH',
  /** An argument is out of range or inconsistent (buffer length, settings, quality, …). */
  BAD_ARGUMENT: 'LW_VISION_BAD_ARGUMENT',
  /** Encoding failed inside sharp/libvips. */
  ENCODE_FAILED: 'LW_VISION_ENCODE_FAILED',
} as const;

export type VisionErrorCode = (typeof VisionErrorCodes)[keyof typeof VisionErrorCodes];

export class VisionError extends Error {
  readonly code: VisionErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: VisionErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'VisionError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

export function isVisionError(e: unknown, code?: VisionErrorCode): e is VisionError {
  return e instanceof VisionError && (code === undefined || e.code === code);
}

export function badArgument(message: string, details: Record<string, unknown> = {}): VisionError {
  return new VisionError(VisionErrorCodes.BAD_ARGUMENT, message, details);
}
