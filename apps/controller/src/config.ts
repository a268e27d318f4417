/**
 * Controller configuration: defaults ← JSON file ← environment ← explicit overrides, validated once with TypeBox
 * and deep-frozen. This is the only module that reads process.env (lint enforces it).
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { checkRules } from './config-rules.js';
import { ctrlError } from './errors.js';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1, description: 'Where the SQLite file and the blob store live' }),
    logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
    http: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Port,
        bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024 }),
        trustProxy: Type.Boolean(),
        docs: Type.Boolean({ description: 'Serve OpenAPI UI at /docs' }),
        behindTlsProxy: Type.Boolean({
          description:
            'A TLS-terminating proxy sits in front: send HSTS and upgrade-insecure-requests although this server ' +
            'speaks plain HTTP, and accept a plaintext non-loopback bind for HTTP',
        }),
      },
      { additionalProperties: false },
    ),
    db: Type.Object(
      {
        provider: Type.Union([Type.Literal('sqlite'), Type.Literal('postgresql')]),
        // sqlite: file path (relative to dataDir) or ':memory:'; postgresql: connection URL
        url: Type.String({ minLength: 1 }),
        busyTimeoutMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
      },
      { additionalProperties: false },
    ),
    mqtt: Type.Object(
      {
        enabled: Type.Boolean(),
        mode: Type.Union([Type.Literal('embedded'), Type.Literal('external')], {
          description: 'embedded: run aedes here; external: connect to a broker (Mosquitto, EMQX) at `url`',
        }),
        host: Type.String({ minLength: 1 }),
        port: Port,
        wsPort: Type.Union([Port, Type.Null()], { description: 'MQTT over WebSocket; null disables it' }),
        url: Type.String({ minLength: 1, description: 'external mode: broker URL, e.g. mqtts://broker:8883' }),
        username: Type.Union([Type.String(), Type.Null()]),
        password: Type.Union([Type.String(), Type.Null()]),
        sharedGroup: Type.Union([Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }), Type.Null()], {
          description: 'external mode: MQTT 5 shared-subscription group, so replicas split the ingest',
        }),
        provisioning: Type.Union(
          [Type.Literal('auto'), Type.Literal('store'), Type.Literal('mosquitto-dynsec'), Type.Literal('none')],
          {
            description:
              'How the broker learns device credentials/ACLs: store (embedded: from the device rows), mosquitto-dynsec ' +
              '(external Mosquitto 2 dynamic-security plugin), none (external, managed by hand); auto = store when ' +
              'embedded, none when external',
          },
        ),
        provisioningTimeoutMs: Type.Integer({
          minimum: 100,
          maximum: 120_000,
          description: 'Wait for a dynsec response',
        }),
        caPath: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
          description: 'external mode: CA certificate (PEM) the broker certificate must chain to; null = system CAs',
        }),
        certPath: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
          description: 'external mode: client certificate (PEM) for brokers that require one',
        }),
        keyPath: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
          description: 'external mode: private key (PEM) of certPath',
        }),
      },
      { additionalProperties: false },
    ),
    tls: Type.Object(
      {
        certPath: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
          description:
            'Server certificate (PEM, chain after the leaf): HTTP becomes HTTPS and the embedded broker speaks MQTT ' +
            'over TLS (and WebSocket over TLS); null = plaintext',
        }),
        keyPath: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
          description: 'Private key (PEM) of certPath',
        }),
        caPath: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
          description:
            'CA certificate (PEM) agents and workers verify this controller against (handed out at enrollment)',
        }),
        allowPlaintext: Type.Boolean({
          description: 'Accept plaintext HTTP or MQTT on a non-loopback address (warned at every start)',
        }),
      },
      { additionalProperties: false },
    ),
    auth: Type.Object(
      {
        sessionTtlMinutes: Type.Integer({ minimum: 1, maximum: 60 * 24 * 30 }),
        cookieSecure: Type.Boolean({ description: 'Set the Secure flag on the session cookie (behind HTTPS)' }),
        loginMaxPerMinute: Type.Integer({ minimum: 1, maximum: 10_000 }),
      },
      { additionalProperties: false },
    ),
    ingest: Type.Object(
      {
        flushIntervalMs: Type.Integer({ minimum: 10, maximum: 3_600_000 }),
        maxMaskPixels: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
        ackMaxDelayMs: Type.Integer({
          minimum: 0,
          maximum: 10_000,
          description: 'Longest an event ack waits to be batched with others while ingest is busy',
        }),
        maxNormalSamples: Type.Integer({
          minimum: 0,
          maximum: 1_000_000,
          description: 'Sampled normal frames kept per (line, camera); the oldest are deleted with their files',
        }),
        blobConcurrency: Type.Integer({
          minimum: 1,
          maximum: 256,
          description: 'Event blob writes (frame, anomaly map) in flight at once, outside the serial ingest queue',
        }),
      },
      { additionalProperties: false },
    ),
    jobs: Type.Object(
      {
        workerToken: Type.Union([Type.String({ minLength: 32, maxLength: 512 }), Type.Null()], {
          description: 'Bearer token of trainer workers (/api/worker/*); null disables the worker API',
        }),
        leaseMs: Type.Integer({
          minimum: 1000,
          maximum: 3_600_000,
          description: 'A claim/heartbeat holds a job this long',
        }),
        maxAttempts: Type.Integer({
          minimum: 1,
          maximum: 100,
          description: 'Claims before a job whose leases keep expiring fails',
        }),
        autoTriggerMinMasks: Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()], {
          description:
            'Policy: enqueue a job when a line has this many new confirmed masks since its last job (null = off)',
        }),
        policyIntervalMs: Type.Integer({ minimum: 100, maximum: 86_400_000 }),
        maxPackageBytes: Type.Integer({ minimum: 1024, maximum: 4 * 1024 * 1024 * 1024 }),
        heldOutFraction: Type.Number({
          minimum: 0.05,
          maximum: 0.5,
          description: 'Per line and class, by event-id hash',
        }),
        maxNormalSamples: Type.Integer({
          minimum: 0,
          maximum: 100_000,
          description:
            'Most recent sampled normal frames of the line a dataset snapshot takes (besides rejected events)',
        }),
      },
      { additionalProperties: false },
    ),
    registry: Type.Object(
      {
        trustedKeys: Type.Array(Type.String({ minLength: 1 }), {
          description: 'Ed25519 public keys (PEM text or file paths) whose package signatures the registry accepts',
        }),
        urlSecret: Type.Union([Type.String({ minLength: 16 }), Type.Null()], {
          description: 'HMAC secret for package download links; null = random per process (links die on restart)',
        }),
        urlTtlS: Type.Integer({
          minimum: 10,
          maximum: 7 * 24 * 3600,
          description: 'Lifetime of a package download link',
        }),
        publicUrl: Type.Union([Type.String({ pattern: '^https?://[^\\s]+$' }), Type.Null()], {
          description: 'Base URL agents reach the controller HTTP at; null = http://<http.host>:<listening port>',
        }),
        maxPackageBytes: Type.Integer({ minimum: 1024, maximum: 4 * 1024 ** 3 }),
        aurocTolerance: Type.Number({ minimum: 0, maximum: 1, description: 'Eligibility: AUROC may drop this much' }),
        falseAlarmTolerance: Type.Number({
          minimum: 0,
          maximum: 1,
          description: 'Eligibility: false-alarm rate may rise this much',
        }),
        minHeldOutPerClass: Type.Integer({
          minimum: 1,
          maximum: 100_000,
          description:
            'Eligibility: held-out anomalous and normal items each needed before an interval verdict counts (else "not enough data")',
        }),
      },
      { additionalProperties: false },
    ),
    files: Type.Object(
      {
        kind: Type.Union([Type.Literal('disk'), Type.Literal('s3')], {
          description:
            'Blob store (frames, maps, masks, packages): disk = <dataDir>/blobs; s3 = an S3-compatible bucket',
        }),
        s3: Type.Object(
          {
            endpoint: Type.Union([Type.String({ pattern: '^https?://[^\\s]+$' }), Type.Null()], {
              description: 'MinIO/Ceph RGW URL, e.g. https://minio:9000; null = AWS S3 of `region`',
            }),
            region: Type.String({ minLength: 1 }),
            bucket: Type.Union([Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' }), Type.Null()], {
              description: 'Required when files.kind is s3; the bucket must exist',
            }),
            prefix: Type.String({
              pattern: '^([A-Za-z0-9._-]+/)*$',
              description: "Key prefix, empty or ending in '/': blobs go to <prefix>blobs/ab/cd/<sha256>",
            }),
            forcePathStyle: Type.Boolean({
              description: 'http://host/bucket/key (MinIO, Ceph) instead of bucket.host',
            }),
            accessKeyId: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
              description: 'With secretAccessKey; both null = the AWS SDK default credential chain (env, profile, IAM)',
            }),
            secretAccessKey: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
            multipartThresholdBytes: Type.Integer({
              minimum: 5 * 1024 ** 2,
              maximum: 5 * 1024 ** 3,
              description: 'Blobs larger than this are uploaded in parts (model packages)',
            }),
            partSizeBytes: Type.Integer({ minimum: 5 * 1024 ** 2, maximum: 5 * 1024 ** 3 }),
            presignDownloads: Type.Boolean({
              description: 'Agents download packages from pre-signed S3 GET URLs instead of through the controller',
            }),
            presignTtlS: Type.Integer({ minimum: 60, maximum: 7 * 24 * 3600 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    metrics: Type.Object(
      {
        port: Type.Union([Port, Type.Null()], {
          description: 'Serve /metrics on its own listener at metrics.host:port (only there); null = on the HTTP port',
        }),
        host: Type.String({ minLength: 1, description: 'Address of the metrics listener (with metrics.port)' }),
        token: Type.Union([Type.String({ minLength: 16, maxLength: 512 }), Type.Null()], {
          description:
            'Bearer token every /metrics request must carry when set (Prometheus: authorization.credentials)',
        }),
        allowUnauthenticated: Type.Boolean({
          description:
            'Serve /metrics without a token on a listener other machines reach (a non-loopback bind, or the HTTP ' +
            'port behind a TLS proxy); without it such a listener answers 401 until metrics.token is set',
        }),
        cacheMs: Type.Integer({
          minimum: 0,
          maximum: 600_000,
          description: 'Database aggregates (QA queue, labels, jobs, rollouts) are recomputed at most this often',
        }),
      },
      { additionalProperties: false },
    ),
    rollouts: Type.Object(
      {
        enabled: Type.Boolean({ description: 'Run the rollout engine (needs MQTT)' }),
        tickMs: Type.Integer({ minimum: 10, maximum: 600_000, description: 'How often gates are evaluated' }),
      },
      { additionalProperties: false },
    ),
    labels: Type.Object(
      {
        importRoot: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
          description:
            'Server-side folder MVTec-layout imports may read from (admin, below it only); null = folder import off',
        }),
        maxImportBytes: Type.Integer({
          minimum: 1024,
          maximum: 64 * 1024 ** 3,
          description: 'Largest uploaded label zip (413 above it)',
        }),
        maxImportUncompressedBytes: Type.Integer({
          minimum: 1024,
          maximum: 256 * 1024 ** 3,
          description: 'Largest total of the files one import reads (zip bombs, huge folders)',
        }),
        maxImportEntries: Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'Most files one import lists' }),
      },
      { additionalProperties: false },
    ),
    cluster: Type.Object(
      {
        replicaId: Type.Union([Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' }), Type.Null()], {
          description: 'This replica in the leader lease; null = <hostname>-<pid>-<random>',
        }),
        leaseTtlMs: Type.Integer({ minimum: 200, maximum: 600_000, description: 'Leader lease lifetime' }),
        renewMs: Type.Integer({ minimum: 50, maximum: 300_000, description: 'Renew/retry period; at most ttl / 2' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> | null : T[K] };
export type ConfigInput = DeepPartial<Config>;

export const DEFAULTS: Config = {
  dataDir: './data',
  logLevel: 'info',
  http: {
    host: '127.0.0.1',
    port: 8080,
    bodyLimitBytes: 1024 * 1024,
    trustProxy: false,
    docs: true,
    behindTlsProxy: false,
  },
  db: { provider: 'sqlite', url: 'linewatch.db', busyTimeoutMs: 5000 },
  mqtt: {
    enabled: true,
    mode: 'embedded',
    host: '127.0.0.1',
    port: 1883,
    wsPort: null,
    url: 'mqtt://127.0.0.1:1883',
    username: null,
    password: null,
    sharedGroup: null,
    provisioning: 'auto',
    provisioningTimeoutMs: 5000,
    caPath: null,
    certPath: null,
    keyPath: null,
  },
  tls: { certPath: null, keyPath: null, caPath: null, allowPlaintext: false },
  auth: { sessionTtlMinutes: 12 * 60, cookieSecure: false, loginMaxPerMinute: 10 },
  ingest: {
    flushIntervalMs: 10_000,
    maxMaskPixels: 16_000_000,
    ackMaxDelayMs: 20,
    maxNormalSamples: 500,
    blobConcurrency: 8,
  },
  registry: {
    trustedKeys: [],
    urlSecret: null,
    urlTtlS: 900,
    publicUrl: null,
    maxPackageBytes: 512 * 1024 * 1024,
    aurocTolerance: 0.005,
    falseAlarmTolerance: 0.01,
    minHeldOutPerClass: 20,
  },
  files: {
    kind: 'disk',
    s3: {
      endpoint: null,
      region: 'us-east-1',
      bucket: null,
      prefix: '',
      forcePathStyle: false,
      accessKeyId: null,
      secretAccessKey: null,
      multipartThresholdBytes: 8 * 1024 ** 2,
      partSizeBytes: 8 * 1024 ** 2,
      presignDownloads: false,
      presignTtlS: 900,
    },
  },
  metrics: { port: null, host: '127.0.0.1', token: null, allowUnauthenticated: false, cacheMs: 5000 },
  rollouts: { enabled: true, tickMs: 1000 },
  cluster: { replicaId: null, leaseTtlMs: 8000, renewMs: 2000 },
  labels: {
    importRoot: null,
    maxImportBytes: 2 * 1024 ** 3,
    maxImportUncompressedBytes: 8 * 1024 ** 3,
    maxImportEntries: 200_000,
  },
  jobs: {
    workerToken: null,
    leaseMs: 60_000,
    maxAttempts: 3,
    autoTriggerMinMasks: 20,
    policyIntervalMs: 30_000,
    maxPackageBytes: 512 * 1024 * 1024,
    heldOutFraction: 0.25,
    maxNormalSamples: 200,
  },
};

/** Environment variable → config path. Values are parsed as JSON when they look like JSON (numbers, booleans, null). */
export const ENV_KEYS: Record<string, string> = {
  LW_DATA_DIR: 'dataDir',
  LW_LOG_LEVEL: 'logLevel',
  LW_HTTP_HOST: 'http.host',
  LW_HTTP_PORT: 'http.port',
  LW_HTTP_BODY_LIMIT_BYTES: 'http.bodyLimitBytes',
  LW_HTTP_TRUST_PROXY: 'http.trustProxy',
  LW_HTTP_DOCS: 'http.docs',
  LW_HTTP_BEHIND_TLS_PROXY: 'http.behindTlsProxy',
  LW_DB_PROVIDER: 'db.provider',
  LW_DB_URL: 'db.url',
  LW_DB_BUSY_TIMEOUT_MS: 'db.busyTimeoutMs',
  LW_MQTT_ENABLED: 'mqtt.enabled',
  LW_MQTT_HOST: 'mqtt.host',
  LW_MQTT_PORT: 'mqtt.port',
  LW_MQTT_WS_PORT: 'mqtt.wsPort',
  LW_MQTT_MODE: 'mqtt.mode',
  LW_MQTT_URL: 'mqtt.url',
  LW_MQTT_USERNAME: 'mqtt.username',
  LW_MQTT_PASSWORD: 'mqtt.password',
  LW_MQTT_SHARED_GROUP: 'mqtt.sharedGroup',
  LW_MQTT_PROVISIONING: 'mqtt.provisioning',
  LW_MQTT_PROVISIONING_TIMEOUT_MS: 'mqtt.provisioningTimeoutMs',
  LW_MQTT_CA_PATH: 'mqtt.caPath',
  LW_MQTT_CERT_PATH: 'mqtt.certPath',
  LW_MQTT_KEY_PATH: 'mqtt.keyPath',
  LW_TLS_CERT_PATH: 'tls.certPath',
  LW_TLS_KEY_PATH: 'tls.keyPath',
  LW_TLS_CA_PATH: 'tls.caPath',
  LW_TLS_ALLOW_PLAINTEXT: 'tls.allowPlaintext',
  LW_AUTH_SESSION_TTL_MINUTES: 'auth.sessionTtlMinutes',
  LW_AUTH_COOKIE_SECURE: 'auth.cookieSecure',
  LW_AUTH_LOGIN_MAX_PER_MINUTE: 'auth.loginMaxPerMinute',
  LW_INGEST_FLUSH_INTERVAL_MS: 'ingest.flushIntervalMs',
  LW_INGEST_MAX_MASK_PIXELS: 'ingest.maxMaskPixels',
  LW_INGEST_ACK_MAX_DELAY_MS: 'ingest.ackMaxDelayMs',
  LW_INGEST_MAX_NORMAL_SAMPLES: 'ingest.maxNormalSamples',
  LW_INGEST_BLOB_CONCURRENCY: 'ingest.blobConcurrency',
  LW_REGISTRY_URL_SECRET: 'registry.urlSecret',
  LW_REGISTRY_URL_TTL_S: 'registry.urlTtlS',
  LW_REGISTRY_PUBLIC_URL: 'registry.publicUrl',
  LW_REGISTRY_MAX_PACKAGE_BYTES: 'registry.maxPackageBytes',
  LW_FILES_KIND: 'files.kind',
  LW_FILES_S3_ENDPOINT: 'files.s3.endpoint',
  LW_FILES_S3_REGION: 'files.s3.region',
  LW_FILES_S3_BUCKET: 'files.s3.bucket',
  LW_FILES_S3_PREFIX: 'files.s3.prefix',
  LW_FILES_S3_FORCE_PATH_STYLE: 'files.s3.forcePathStyle',
  LW_FILES_S3_ACCESS_KEY_ID: 'files.s3.accessKeyId',
  LW_FILES_S3_SECRET_ACCESS_KEY: 'files.s3.secretAccessKey',
  LW_FILES_S3_MULTIPART_THRESHOLD_BYTES: 'files.s3.multipartThresholdBytes',
  LW_FILES_S3_PART_SIZE_BYTES: 'files.s3.partSizeBytes',
  LW_FILES_S3_PRESIGN_DOWNLOADS: 'files.s3.presignDownloads',
  LW_FILES_S3_PRESIGN_TTL_S: 'files.s3.presignTtlS',
  LW_METRICS_PORT: 'metrics.port',
  LW_METRICS_HOST: 'metrics.host',
  LW_METRICS_TOKEN: 'metrics.token',
  LW_METRICS_ALLOW_UNAUTHENTICATED: 'metrics.allowUnauthenticated',
  LW_METRICS_CACHE_MS: 'metrics.cacheMs',
  LW_ROLLOUTS_ENABLED: 'rollouts.enabled',
  LW_ROLLOUTS_TICK_MS: 'rollouts.tickMs',
  LW_CLUSTER_REPLICA_ID: 'cluster.replicaId',
  LW_CLUSTER_LEASE_TTL_MS: 'cluster.leaseTtlMs',
  LW_CLUSTER_RENEW_MS: 'cluster.renewMs',
  LW_JOBS_WORKER_TOKEN: 'jobs.workerToken',
  LW_JOBS_LEASE_MS: 'jobs.leaseMs',
  LW_JOBS_MAX_ATTEMPTS: 'jobs.maxAttempts',
  LW_JOBS_AUTO_TRIGGER_MIN_MASKS: 'jobs.autoTriggerMinMasks',
  LW_JOBS_POLICY_INTERVAL_MS: 'jobs.policyIntervalMs',
  LW_JOBS_MAX_PACKAGE_BYTES: 'jobs.maxPackageBytes',
  LW_JOBS_HELD_OUT_FRACTION: 'jobs.heldOutFraction',
  LW_JOBS_MAX_NORMAL_SAMPLES: 'jobs.maxNormalSamples',
  LW_LABELS_IMPORT_ROOT: 'labels.importRoot',
  LW_LABELS_MAX_IMPORT_BYTES: 'labels.maxImportBytes',
  LW_LABELS_MAX_IMPORT_UNCOMPRESSED_BYTES: 'labels.maxImportUncompressedBytes',
  LW_LABELS_MAX_IMPORT_ENTRIES: 'labels.maxImportEntries',
};
/** Names the path of an optional JSON config file. */
export const CONFIG_FILE_ENV = 'LW_CONTROLLER_CONFIG';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

function parseEnvValue(raw: string): unknown {
  if (/^(-?\d+(\.\d+)?|true|false|null)$/.test(raw.trim())) return JSON.parse(raw.trim());
  return raw;
}

function fromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const keys = path.split('.');
    let node = out;
    for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[keys[keys.length - 1] as string] = parseEnvValue(raw);
  }
  return out;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

export interface LoadConfigOptions {
  /** JSON file path; defaults to $LW_CONTROLLER_CONFIG when set. */
  file?: string;
  /** Defaults to process.env; pass {} in tests for isolation. */
  env?: Record<string, string | undefined>;
  overrides?: ConfigInput;
}

export function loadConfig(opts: LoadConfigOptions = {}): Readonly<Config> {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env[CONFIG_FILE_ENV];
  let fileValues: unknown = {};
  if (file) {
    try {
      fileValues = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw ctrlError('LW_CTRL_CONFIG_INVALID', `cannot read config file ${file}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (!isObject(fileValues)) throw ctrlError('LW_CTRL_CONFIG_INVALID', `config file ${file} must hold a JSON object`);
  }
  const merged = [fileValues, fromEnv(env), opts.overrides ?? {}].reduce(merge, structuredClone(DEFAULTS));
  if (!Value.Check(ConfigSchema, merged)) {
    const problems = [...Value.Errors(ConfigSchema, merged)].slice(0, 10).map((e) => `${e.path || '/'}: ${e.message}`);
    throw ctrlError('LW_CTRL_CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`, { details: problems });
  }
  checkRules(merged);
  return deepFreeze(merged);
}
