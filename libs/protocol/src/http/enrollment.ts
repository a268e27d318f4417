/**
 * Enrollment: an admin mints a one-time token for a line and a device id (shown once, stored hashed); the device
 * trades it, with no session, for everything it needs to run — MQTT credentials, broker URL(s), the controller's CA
 * certificate, the trusted model-signing keys and the line's live model. A token is single use, expires, and is
 * bound to its line and device id; each refusal has its own code:
 * - 401 `LW_CTRL_ENROLL_TOKEN_UNKNOWN`: no such token (never issued, or revoked);
 * - 409 `LW_CTRL_ENROLL_TOKEN_USED`: the token was already traded (a second device must get its own token);
 * - 410 `LW_CTRL_ENROLL_TOKEN_EXPIRED`: past `expiresAt`.
 * Enrolling an id that already exists on the token's line re-keys it (fresh credentials, history kept); an id that
 * exists on another line is refused when the token is created (409 `LW_CTRL_CONFLICT`).
 */
import { Type, type Static } from '@sinclair/typebox';
import { ErrorBody, Id, IdParams, IsoDate, Slug, errorResponses } from './common.js';
import { DeviceView } from './devices.js';

/** The token as the device sends it: opaque, base64url. */
export const EnrollmentToken = Type.String({ pattern: '^[A-Za-z0-9_-]{16,256}$' });

export const ENROLLMENT_STATES = ['pending', 'used', 'expired', 'revoked'] as const;
export const EnrollmentState = Type.Union(ENROLLMENT_STATES.map((s) => Type.Literal(s)));
export type EnrollmentState = Static<typeof EnrollmentState>;

/** A token as admins see it later: never the token itself (only its hash is stored). */
export const EnrollmentTokenView = Type.Object({
  id: Id,
  line: Slug,
  site: Slug,
  /** The device id the token enrolls (topic segment, MQTT username). */
  device: Slug,
  /** Display name of the device. */
  name: Type.String(),
  createdAt: IsoDate,
  expiresAt: IsoDate,
  createdBy: Type.String(),
  state: EnrollmentState,
  usedAt: Type.Union([IsoDate, Type.Null()]),
  revokedAt: Type.Union([IsoDate, Type.Null()]),
});
export type EnrollmentTokenView = Static<typeof EnrollmentTokenView>;

export const CreateEnrollmentTokenBody = Type.Object(
  {
    line: Slug,
    site: Type.Optional(Slug),
    device: Slug,
    /** Display name; defaults to the device id. */
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /** Validity from now, in minutes (default one day, at most 30 days). */
    expiresInMinutes: Type.Integer({ minimum: 1, maximum: 43_200, default: 1440 }),
  },
  { additionalProperties: false },
);
export type CreateEnrollmentTokenBody = Static<typeof CreateEnrollmentTokenBody>;

/** Returned once: `token` is what the device enrolls with; it cannot be shown again. */
export const CreatedEnrollmentToken = Type.Object({ token: EnrollmentToken, enrollment: EnrollmentTokenView });
export type CreatedEnrollmentToken = Static<typeof CreatedEnrollmentToken>;

/** Admin. 409 LW_CTRL_CONFLICT when the device id exists on another line. */
export const CreateEnrollmentTokenRoute = {
  method: 'POST',
  url: '/api/enrollment-tokens',
  schema: {
    tags: ['enrollment'],
    body: CreateEnrollmentTokenBody,
    response: { 201: CreatedEnrollmentToken, ...errorResponses },
  },
} as const;

/** Admin: every token, newest first, with its state. */
export const ListEnrollmentTokensRoute = {
  method: 'GET',
  url: '/api/enrollment-tokens',
  schema: {
    tags: ['enrollment'],
    response: { 200: Type.Object({ tokens: Type.Array(EnrollmentTokenView) }), ...errorResponses },
  },
} as const;

/** Admin: a pending token can no longer be used (idempotent; a used token stays used). */
export const RevokeEnrollmentTokenRoute = {
  method: 'POST',
  url: '/api/enrollment-tokens/:id/revoke',
  schema: { tags: ['enrollment'], params: IdParams, response: { 200: EnrollmentTokenView, ...errorResponses } },
} as const;

export const EnrollBody = Type.Object(
  {
    token: EnrollmentToken,
    agentVersion: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
  },
  { additionalProperties: false },
);
export type EnrollBody = Static<typeof EnrollBody>;

/** The line's live model, as the desiredModel message would carry it (a fresh signed download link). */
export const EnrolledModel = Type.Object({
  version: Type.String({ minLength: 1, maxLength: 64 }),
  packageUrl: Type.String({ minLength: 8, maxLength: 2048 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  signatureScheme: Type.Literal('ed25519'),
  /** Signature over the package's manifest bytes, base64. */
  signature: Type.String({ minLength: 1, maxLength: 1024 }),
});
export type EnrolledModel = Static<typeof EnrolledModel>;

export const EnrollReply = Type.Object({
  device: DeviceView,
  /** MQTT credentials (shown once, stored hashed), as POST /api/devices returns them. */
  credentials: Type.Object({
    username: Type.String(),
    password: Type.String(),
    clientId: Type.String(),
    topicPrefix: Type.String(),
  }),
  /** Broker URL(s), preferred first: `mqtts://` when the broker has a TLS listener. */
  brokerUrls: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  /** The controller's public base URL (model downloads, later API calls). */
  controllerUrl: Type.String({ minLength: 1 }),
  /** PEM of the CA that signed the controller's and broker's certificates; null when the controller has no TLS. */
  caCertPem: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  /** PEM public keys (ed25519) a model package's signature must verify against. */
  trustedKeys: Type.Array(Type.String({ minLength: 1 })),
  /** The line's live model, or null when the line has none yet (the agent then waits for a desiredModel). */
  model: Type.Union([EnrolledModel, Type.Null()]),
});
export type EnrollReply = Static<typeof EnrollReply>;

/** No session: the token is the credential. Rate-limited. */
export const EnrollRoute = {
  method: 'POST',
  url: '/api/v1/enroll',
  schema: {
    tags: ['enrollment'],
    body: EnrollBody,
    response: { 200: EnrollReply, ...errorResponses, 410: ErrorBody },
  },
} as const;

/** The codes POST /api/v1/enroll answers for a token it refuses (see the module comment). */
export const ENROLL_ERROR_CODES = [
  'LW_CTRL_ENROLL_TOKEN_UNKNOWN',
  'LW_CTRL_ENROLL_TOKEN_USED',
  'LW_CTRL_ENROLL_TOKEN_EXPIRED',
] as const;
export type EnrollErrorCode = (typeof ENROLL_ERROR_CODES)[number];
