/**
 * The controller's one error catalogue. Every failure that crosses a boundary (HTTP response, log line, start-up
 * refusal) carries one of these codes, so operators and clients can match on `code` rather than on prose.
 */
export const ERRORS = {
  LW_CTRL_CONFIG_INVALID: { status: 500, message: 'configuration is invalid' },
  LW_CTRL_PLAINTEXT_REFUSED: { status: 500, message: 'plaintext HTTP or MQTT on a non-loopback address is refused' },
  LW_CTRL_PUBLIC_URL_REQUIRED: { status: 500, message: 'a non-loopback bind needs registry.publicUrl' },
  LW_CTRL_TLS_INVALID: { status: 500, message: 'TLS certificate, key or CA file is unreadable or does not match' },
  LW_CTRL_DB_MIGRATION_FAILED: { status: 500, message: 'database migration failed' },
  LW_CTRL_DB_SCHEMA_DRIFT: { status: 500, message: 'database schema does not match the committed migrations' },
  LW_CTRL_DB_UNAVAILABLE: { status: 503, message: 'database unavailable' },
  LW_CTRL_NOT_READY: { status: 503, message: 'not ready: a dependency failed its readiness check' },
  LW_CTRL_FILE_REF_INVALID: { status: 400, message: 'invalid blob reference' },
  LW_CTRL_BLOB_NOT_FOUND: { status: 404, message: 'blob not found' },
  LW_CTRL_BLOB_STORE_UNAVAILABLE: { status: 503, message: 'the blob store (S3 bucket) cannot be reached' },
  LW_CTRL_BLOB_CORRUPT: { status: 500, message: 'stored blob does not match its sha256' },
  LW_CTRL_VALIDATION: { status: 400, message: 'request is invalid' },
  LW_CTRL_BAD_JSON: { status: 400, message: 'JSON body refused: it carries a __proto__ or constructor.prototype key' },
  LW_CTRL_UNAUTHENTICATED: { status: 401, message: 'authentication required' },
  LW_CTRL_BAD_CREDENTIALS: { status: 401, message: 'invalid username or password' },
  LW_CTRL_FORBIDDEN: { status: 403, message: 'not allowed' },
  LW_CTRL_CSRF: { status: 403, message: 'missing or invalid CSRF token' },
  LW_CTRL_NOT_FOUND: { status: 404, message: 'not found' },
  LW_CTRL_CONFLICT: { status: 409, message: 'conflict' },
  LW_CTRL_PAYLOAD_TOO_LARGE: { status: 413, message: 'request body too large' },
  LW_CTRL_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'unsupported content type' },
  LW_CTRL_MASK_INVALID: { status: 422, message: 'mask is not a valid PNG' },
  LW_CTRL_MASK_SIZE_MISMATCH: { status: 422, message: 'mask size does not equal the frame size' },
  LW_CTRL_MASK_CLASS_UNKNOWN: {
    status: 422,
    message: "the mask paints a palette index that is none of the line's defect classes",
  },
  LW_CTRL_CLASS_TAKEN: { status: 409, message: "another of the line's classes has this name, key or colour" },
  LW_CTRL_CLASS_IN_USE: { status: 409, message: 'the class is named by confirmations or painted in masks' },
  LW_CTRL_CLASS_LIMIT: { status: 409, message: 'the line has no free palette index left (254 classes)' },
  LW_CTRL_CLASS_UNKNOWN: { status: 400, message: "the defect class is not one of the event's line" },
  LW_CTRL_RATE_LIMITED: { status: 429, message: 'too many requests' },
  LW_CTRL_INGEST_INVALID: { status: 400, message: 'ingested message is invalid' },
  LW_CTRL_INGEST_UNKNOWN_DEVICE: { status: 400, message: 'message from an unknown or disabled device' },
  LW_CTRL_INGEST_STORE_FAILED: { status: 500, message: 'ingested message could not be stored' },
  LW_CTRL_BROKER_AUTH: { status: 401, message: 'broker authentication failed' },
  LW_CTRL_BROKER_UNAVAILABLE: { status: 503, message: 'MQTT broker unavailable' },
  LW_CTRL_BROKER_ACL: { status: 403, message: 'broker topic not allowed' },
  LW_CTRL_BROKER_PROVISION_FAILED: { status: 502, message: 'the MQTT broker refused a device provisioning command' },
  LW_CTRL_JOB_OPEN: { status: 409, message: 'the line already has an open training job' },
  LW_CTRL_JOB_NO_DATA: { status: 422, message: 'the line has no labelled review data to train on' },
  LW_CTRL_JOB_NO_PARENT: { status: 409, message: 'the line has no live model to fine-tune from' },
  LW_CTRL_JOB_LEASE_LOST: { status: 409, message: 'the job lease is no longer held by this worker' },
  LW_CTRL_JOB_FINISHED: { status: 409, message: 'the job is already finished' },
  LW_CTRL_JOB_PACKAGE_MISSING: { status: 409, message: 'no package with this sha256 was uploaded for this lease' },
  LW_CTRL_JOB_ATTEMPTS_EXHAUSTED: { status: 409, message: 'the job lost its lease too many times' },
  LW_CTRL_MODEL_PACKAGE_INVALID: { status: 422, message: 'model package does not verify' },
  LW_CTRL_MODEL_VERSION_TAKEN: { status: 409, message: 'a different package is registered under this version' },
  LW_CTRL_MODEL_DUPLICATE_PACKAGE: {
    status: 409,
    message: 'this package (same sha256) is already registered under another version',
  },
  LW_CTRL_MODEL_INELIGIBLE: { status: 409, message: 'model version is not eligible for rollout' },
  LW_CTRL_DOWNLOAD_TOKEN_INVALID: { status: 403, message: 'download link is invalid' },
  LW_CTRL_DOWNLOAD_TOKEN_EXPIRED: { status: 403, message: 'download link has expired' },
  LW_CTRL_RANGE_NOT_SATISFIABLE: { status: 416, message: 'requested range not satisfiable' },
  LW_CTRL_ROLLOUT_STATE: { status: 409, message: "not possible in the rollout's current state" },
  LW_CTRL_NOT_LEADER: { status: 503, message: 'this replica does not run the rollout engine now; retry' },
  LW_CTRL_ROLLOUT_ACTIVE: { status: 409, message: 'another rollout is active for this scope' },
  LW_CTRL_ROLLOUT_POLICY_INVALID: { status: 400, message: 'rollout policy is invalid' },
  LW_CTRL_ENROLL_TOKEN_UNKNOWN: { status: 401, message: 'enrollment token is unknown or revoked' },
  LW_CTRL_MODEL_ALREADY_LIVE: { status: 409, message: 'model version already runs on every device of its scope' },
  LW_CTRL_ENROLL_TOKEN_USED: { status: 409, message: 'enrollment token was already used' },
  LW_CTRL_ENROLL_TOKEN_EXPIRED: { status: 410, message: 'enrollment token has expired' },
  LW_CTRL_PASSWORD_CHANGE_REQUIRED: { status: 403, message: 'the one-time password must be changed first' },
  LW_CTRL_CALIBRATION_NOT_ENOUGH_FRAMES: {
    status: 422,
    message: 'not enough normal frames in the sketches to place a threshold at the target false-alarm rate',
  },
  LW_CTRL_CALIBRATION_STALE: {
    status: 409,
    message: 'the camera runs another model version than the proposal was for',
  },
  LW_CTRL_IMPORT_LAYOUT: { status: 422, message: 'not an MVTec layout (train/good, test/<class>, ground_truth)' },
  LW_CTRL_IMPORT_MASK_ORPHAN: { status: 422, message: 'a ground-truth mask has no image of the same name' },
  LW_CTRL_IMPORT_UNSAFE_PATH: {
    status: 422,
    message: 'an entry path leaves the import (absolute, .., backslash, or a link outside the import root)',
  },
  LW_CTRL_IMPORT_TOO_LARGE: { status: 413, message: 'the import exceeds the configured size or entry limits' },
  LW_CTRL_IMPORT_ZIP_INVALID: { status: 422, message: 'the upload is not a readable zip' },
  LW_CTRL_IMPORT_IMAGE_INVALID: { status: 422, message: 'an image or mask of the import cannot be read' },
  LW_CTRL_IMPORT_ROOT_UNSET: { status: 409, message: 'folder import is off: labels.importRoot is not configured' },
  LW_CTRL_INTERNAL: { status: 500, message: 'internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class ControllerError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, opts: { cause?: unknown; details?: unknown } = {}) {
    super(message ?? ERRORS[code].message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ControllerError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = opts.details;
  }
}

export function ctrlError(
  code: ErrorCode,
  message?: string,
  opts?: { cause?: unknown; details?: unknown },
): ControllerError {
  return new ControllerError(code, message, opts);
}

export function isControllerError(e: unknown, code?: ErrorCode): e is ControllerError {
  return e instanceof ControllerError && (code === undefined || e.code === code);
}
