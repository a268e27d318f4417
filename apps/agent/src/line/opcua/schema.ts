/**
 * The `opcua` section of the agent config (validated with the rest in config.ts). Off by default; when on, it listens
 * on loopback unless `host` says otherwise, and nobody gets in anonymously unless `allowAnonymous` says so.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

export const OPCUA_SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type OpcUaSecurityMode = (typeof OPCUA_SECURITY_MODES)[number];

/** `scrypt:<salt hex>:<key hex>` (N=16384, r=8, p=1, 32-byte key): see README "OPC UA" for the one-line hasher. */
export const PASSWORD_HASH_PATTERN = '^scrypt:[0-9a-f]{16,128}:[0-9a-f]{64}$';

const OpcUaUserSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[\\x21-\\x7E]{1,64}$' }),
    /** The password's scrypt hash; or `passwordFile`, a file holding the password (a mounted secret). */
    passwordHash: Type.Optional(Type.String({ pattern: PASSWORD_HASH_PATTERN })),
    passwordFile: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export type OpcUaUserConfig = Static<typeof OpcUaUserSchema>;

export const OpcUaSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    /** Loopback by default; a line network address (or 0.0.0.0) is an explicit choice. */
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    /** 4840 is OPC UA's registered port; 0 = any free port (tests). */
    port: Type.Integer({ minimum: 0, maximum: 65_535, default: 4840 }),
    /** Anonymous sessions are refused unless this is true. */
    allowAnonymous: Type.Boolean({ default: false }),
    /**
     * Message security offered, each with Basic256Sha256 where it is not None. `None` sends everything in clear
     * (user passwords are still encrypted with the server's certificate); Sign/SignAndEncrypt need the client's
     * application certificate to be trusted (`trustedClientCertificates` or the PKI's trusted/ folder).
     */
    securityModes: Type.Array(Type.Union(OPCUA_SECURITY_MODES.map((m) => Type.Literal(m))), {
      minItems: 1,
      maxItems: 3,
      uniqueItems: true,
      default: ['SignAndEncrypt'],
    }),
    users: Type.Array(OpcUaUserSchema, { maxItems: 64, default: [] }),
    /** Accept an X.509 user identity token whose certificate is trusted (the same trust list as applications). */
    certificateLogin: Type.Boolean({ default: false }),
    /** PKI folders (own/, trusted/, rejected/ …); default `<dataDir>/opcua-pki`. */
    pkiDir: Type.Optional(Type.String({ minLength: 1 })),
    /** The server's own certificate and key (PEM); absent: a self-signed pair is generated in pkiDir on first start. */
    certificateFile: Type.Optional(Type.String({ minLength: 1 })),
    privateKeyFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Client certificates (PEM or DER files) copied into the trust list at start. */
    trustedClientCertificates: Type.Array(Type.String({ minLength: 1 }), { maxItems: 256, default: [] }),
    /** Counters, online state and model version are refreshed this often between verdicts. */
    refreshIntervalMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000 }),
    maxSessions: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
  },
  { default: {} },
);
export type OpcUaConfig = Readonly<Static<typeof OpcUaSchema>>;

/** Cross-field rules TypeBox cannot say; returns the first problem or undefined. */
export function opcUaConfigProblem(c: OpcUaConfig): string | undefined {
  for (const u of c.users) {
    if ((u.passwordHash === undefined) === (u.passwordFile === undefined))
      return `opcua.users: ${u.name} needs exactly one of passwordHash, passwordFile`;
  }
  if (new Set(c.users.map((u) => u.name)).size !== c.users.length) return 'opcua.users: names must be unique';
  if ((c.certificateFile === undefined) !== (c.privateKeyFile === undefined))
    return 'opcua: certificateFile and privateKeyFile go together';
  if (c.enabled && !c.allowAnonymous && c.users.length === 0 && !c.certificateLogin)
    return 'opcua: no way to log in (add users, set certificateLogin, or allowAnonymous: true)';
  return undefined;
}
