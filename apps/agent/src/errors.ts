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
