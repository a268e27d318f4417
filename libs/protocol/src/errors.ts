/**
 * One catalogue of every error this package can raise. Callers (controller ingest, agent command handler) branch on
 * `code`, log `details`, and never need to parse messages; the catalogue doubles as documentation and as the list the
 * tests walk to prove every code is reachable.
 */
export const ERROR_CATALOGUE = {
  LW_PROTO_INVALID_ARGUMENT:
    'An API was called with an argument of the wrong JavaScript type (e.g. a string where bytes are expected) or invalid options.',
  LW_PROTO_UNKNOWN_KIND: 'The message kind is not one this protocol version defines.',
  LW_PROTO_TOO_LARGE:
    'The payload, its header or one of its parts exceeds the configured size limit (checked before allocating).',
  LW_PROTO_TRUNCATED: 'The envelope ends before the lengths it declares (header, part count or a part).',
  LW_PROTO_BAD_MAGIC: 'The payload is neither a JSON object (first byte "{") nor an envelope (magic bytes "LW").',
  LW_PROTO_UNSUPPORTED_VERSION:
    'The envelope version byte, or the JSON payload\'s protocol version "v", is missing or not one this build can read.',
  LW_PROTO_KIND_MISMATCH:
    'The envelope\'s kind byte or the JSON payload\'s "kind" names a different kind than the caller (or the topic) expects.',
  LW_PROTO_WIRE_FORM:
    'A kind with binary parts (event) was given or asked for as JSON: it travels only as a binary envelope.',
  LW_PROTO_INVALID_UTF8: 'The JSON payload, JSON header (or manifest) is not valid UTF-8.',
  LW_PROTO_INVALID_JSON: 'The JSON payload, JSON header (or manifest) does not parse, or is not a JSON object.',
  LW_PROTO_SCHEMA_VIOLATION:
    'The message does not match its schema (wrong type, missing field, out of range, or a cross-field rule).',
  LW_PROTO_PART_COUNT: 'The number of binary parts does not match what the message kind requires.',
  LW_PROTO_PART_INVALID:
    'A binary part has an impossible shape (e.g. float32 features whose length is not a multiple of 4).',
  LW_PROTO_IMAGE_INVALID:
    'An image part lacks its format signature (JPEG SOI, PNG signature) or the anomaly map is not an 8-bit greyscale PNG.',
  LW_PROTO_TRAILING_BYTES: 'Bytes remain after the last declared part.',
  LW_PROTO_TOPIC_MALFORMED:
    'The topic does not have the linewatch/v1/{site}/{line}/{device}/... structure, or is too long.',
  LW_PROTO_TOPIC_SEGMENT:
    'A topic segment (site, line, device, camera, share group) is empty, too long, or contains a forbidden character.',
  LW_PROTO_TOPIC_UNKNOWN_KIND: 'The topic suffix after the device does not name a known message kind.',
  LW_PROTO_TOPIC_MISMATCH: 'The device or camera named in the topic differs from the one in the payload.',
  LW_PROTO_HTTP_NETWORK:
    'An HTTP API call got no answer: connection refused or reset, DNS failure, or the request could not be sent.',
  LW_PROTO_HTTP_TLS:
    "An HTTPS API call was refused by this side: the server's certificate does not chain to the trusted CA (wrong CA), is expired or not yet valid, or does not name the host.",
  LW_PROTO_HTTP_TIMEOUT: "An HTTP API call did not get its complete answer within the client's timeout.",
  LW_PROTO_HTTP_REPLY_INVALID:
    'An HTTP API answer does not match its route: a status the route does not declare, a body that is not JSON or fails the schema for its status, or an error status without a {code, message} body.',
} as const satisfies Record<string, string>;

export type ProtocolErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.freeze(Object.keys(ERROR_CATALOGUE) as ProtocolErrorCode[]);

/** Structured, JSON-serialisable context; never contains payload bytes (they may be large or sensitive). */
export type ProtocolErrorDetails = Readonly<Record<string, unknown>>;

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly details: ProtocolErrorDetails;

  constructor(code: ProtocolErrorCode, message?: string, details: ProtocolErrorDetails = {}) {
    super(`${code}: ${message ?? ERROR_CATALOGUE[code]}`);
    this.code = code;
    this.details = Object.freeze({ ...details });
  }

  toJSON(): { name: string; code: ProtocolErrorCode; message: string; details: ProtocolErrorDetails } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

export function isProtocolError(e: unknown, code?: ProtocolErrorCode): e is ProtocolError {
  return e instanceof ProtocolError && (code === undefined || e.code === code);
}

/**
 * A failed HTTP API call (`@linewatch/protocol/client`). `code` is the server's own code when it answered with an
 * error body (`LW_CTRL_*`), or one of this catalogue's `LW_PROTO_HTTP_*` codes when it did not answer, answered too
 * late, or answered something the route does not allow. `status` is the HTTP status, null when none arrived.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: string;
  readonly status: number | null;
  readonly details: ProtocolErrorDetails;

  constructor(
    code: string,
    message: string,
    status: number | null,
    details: ProtocolErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.code = code;
    this.status = status;
    this.details = Object.freeze({ ...details });
  }

  toJSON(): { name: string; code: string; status: number | null; message: string; details: ProtocolErrorDetails } {
    return { name: this.name, code: this.code, status: this.status, message: this.message, details: this.details };
  }
}

export function isApiError(e: unknown, code?: string): e is ApiError {
  return e instanceof ApiError && (code === undefined || e.code === code);
}

/** Shorthand used across the package so throw sites stay one line. */
export function fail(code: ProtocolErrorCode, message?: string, details?: ProtocolErrorDetails): never {
  throw new ProtocolError(code, message, details);
}
