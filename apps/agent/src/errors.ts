/**
 * The agent's one catalogue of coded errors. Every failure the agent reports (logs, status notes, model reports)
 * carries one of these codes so operators and the controller can act on it without parsing text.
 */
export const AGENT_ERRORS = {
  LW_AGENT_CONFIG_INVALID: 'configuration file or environment failed validation',
  LW_AGENT_CONFIG_UNREADABLE: 'configuration file could not be read or is not JSON',
  LW_AGENT_TLS_FILE: 'a TLS CA/cert/key file could not be read',
  LW_AGENT_SOURCE_FAILED: 'a frame source process exited or could not start (restarted with backoff)',
  LW_AGENT_SOURCE_STALLED: 'a frame source delivered no frame within the stall timeout',
  LW_AGENT_FRAME_INVALID: 'a frame could not be decoded or has the wrong size (skipped)',
  LW_AGENT_NO_MODEL: 'no installed model and no initial package configured',
  LW_AGENT_WAITING_FOR_MODEL: "no model installed yet: the agent waits for the controller to send the line's model",
  LW_AGENT_PROVIDER_FALLBACK: 'the first configured execution provider could not open the model; a later one serves',
  LW_AGENT_MODEL_INCOMPATIBLE: 'model inputs/outputs do not match image → anomaly_map + score',
  LW_AGENT_INFERENCE_FAILED: 'a model run failed for one frame (frame skipped, model kept)',
  LW_AGENT_OUTBOX_FULL: 'outbox byte budget reached; an event was dropped according to the policy',
  LW_AGENT_OUTBOX_DISK: 'writing the outbox failed (disk full or I/O error); the event is kept in memory only',
  LW_AGENT_OUTBOX_CORRUPT: 'an outbox file could not be decoded at start-up (moved aside)',
  LW_AGENT_STATE_IO: 'persisting a sequence counter or model pointer failed',
  LW_AGENT_MQTT: 'MQTT client error (the client reconnects by itself)',
  LW_AGENT_UPDATE_FAILED: 'a model update failed; the previous model keeps serving',
  LW_AGENT_DOWNLOAD_FAILED: 'model package download failed or exceeded the size limit',
  LW_AGENT_DOWNLOAD_TIMEOUT: 'model package download did not finish within model.downloadTimeoutMs',
  LW_AGENT_BAD_MESSAGE: 'an incoming MQTT message was malformed and ignored',
  LW_AGENT_USAGE: 'unknown command or option, or a required option missing (see --help)',
  LW_AGENT_ENROLL_TLS: "the controller's certificate does not verify against the CA given (--ca) or the system's",
  LW_AGENT_ENROLL_UNREACHABLE: 'the controller could not be reached for enrollment (address, port, firewall)',
  LW_AGENT_ENROLL_REFUSED: 'the controller refused the enrollment token (its LW_CTRL_ENROLL_* code says why)',
  LW_AGENT_ENROLL_INVALID: "the controller's enrollment answer cannot be used (no signing key, no broker)",
  LW_AGENT_CHECK_FAILED: 'one or more field checks failed (each printed with its own code)',
  LW_AGENT_CHECK_FFMPEG_MISSING: 'ffmpeg is not installed or not on PATH (apt-get install ffmpeg)',
  LW_AGENT_CHECK_RTSP_UNREACHABLE: 'the RTSP URL did not answer (address, port, path, credentials)',
  LW_AGENT_CHECK_DEVICE_MISSING: 'the V4L2 device does not exist or cannot be opened (/dev/video*, group video)',
  LW_AGENT_CHECK_FILE_MISSING: 'the video file or image folder does not exist or holds no image',
  LW_AGENT_CHECK_PIXEL_SIZE: 'the camera cannot deliver the configured width × height (check the mode it supports)',
  LW_AGENT_CHECK_NO_FRAME: 'the camera delivered no frame within the check timeout',
  LW_AGENT_CHECK_BROKER: 'the MQTT broker did not accept a connection with the configured URL, credentials and TLS',
  LW_AGENT_CHECK_CONTROLLER:
    "the controller's HTTPS certificate does not verify against controller.caFile, or it is unreachable",
  LW_AGENT_CHECK_MODEL: 'no model is installed, or it does not open on the configured execution provider',
  LW_AGENT_OPCUA_START: 'the OPC UA server could not start (address not available, port taken; opcua.host/port)',
  LW_AGENT_OPCUA_PKI:
    'an OPC UA certificate, key or trusted client certificate could not be read, or the PKI folder is not writable',
  LW_AGENT_OPCUA_USERS: 'an OPC UA user password file could not be read or is empty (opcua.users[].passwordFile)',
  LW_AGENT_UNKNOWN_CAMERA: 'a capture or inference request named a camera this agent does not have',
  LW_AGENT_NOT_TRIGGER_CAMERA: 'a capture was requested from a free-running camera (only `trigger` cameras capture)',
  LW_AGENT_CAPTURE_BUSY: "a trigger camera's capture queue is full (requests arrive faster than frames are scored)",
  LW_AGENT_CAPTURE_TIMEOUT:
    'a captured frame got no verdict within the trigger timeout (camera silent or agent stopping)',
  LW_AGENT_CAPTURE_FAILED: 'a captured frame could not be scored (invalid frame or failed inference)',
  LW_AGENT_API_BAD_REQUEST: 'local API: a query parameter or path is invalid',
  LW_AGENT_API_BAD_IMAGE:
    'local API: the image is empty, not a JPEG/PNG, truncated, or raw bytes do not match width × height × 3',
  LW_AGENT_API_TOO_LARGE: 'local API: the body or the image size exceeds integration.api.maxBodyBytes / maxPixels',
  LW_AGENT_API_UNSUPPORTED_MEDIA: 'local API: send image/jpeg, image/png or application/octet-stream (raw RGB)',
  LW_AGENT_API_UNAUTHORIZED: 'local API: the bearer token is missing or wrong (integration.api.token is set)',
  LW_AGENT_API_NOT_FOUND: 'local API: no such route',
  LW_AGENT_API_BUSY: 'local API: the inference queue is full; retry after the Retry-After seconds',
  LW_AGENT_API_INTERNAL: 'local API: an unexpected error (logged in full; the answer says nothing more)',
  LW_AGENT_API_LISTEN: 'the local API could not listen (port in use, socket folder missing or not writable)',
} as const;

export type AgentErrorCode = keyof typeof AGENT_ERRORS;

export class AgentError extends Error {
  override readonly name = 'AgentError';
  /**
   * Whether doing the same again may succeed (a dropped connection), as opposed to a failure that would only repeat
   * (an HTTP error, a size limit, a timeout already spent). Callers that retry decide on this, never on `details`.
   */
  readonly retryable: boolean;
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(`${code}: ${message}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.retryable = options?.retryable ?? false;
    Object.freeze(this.details);
  }
}

export function isAgentError(e: unknown): e is AgentError {
  return e instanceof AgentError;
}

/** A short, loggable reason for any thrown value. */
export function reasonOf(e: unknown): string {
  if (e instanceof Error) return e.message.slice(0, 500);
  return String(e).slice(0, 500);
}

/** Errno code of a Node fs error, if any (ENOSPC, EIO …). */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
