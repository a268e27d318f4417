/**
 * Agent configuration: one JSON file + a few environment overrides, validated once at start-up with TypeBox, then
 * deep-frozen. This is the only module that reads process.env (lint enforces it).
 */
import { readFileSync } from 'node:fs';
import { SUPPORTED_PROVIDERS } from '@linewatch/inference';
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AgentError, reasonOf } from './errors.js';
import { OpcUaSchema, opcUaConfigProblem } from './line/opcua/schema.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });
const Dim = Type.Integer({ minimum: 8, maximum: 8192 });
const Fps = Type.Number({ exclusiveMinimum: 0, maximum: 240 });

const common = {
  width: Dim,
  height: Dim,
  fps: Fps,
};

/** Cameras that deliver frames at their own pace (what a `trigger` camera wraps). */
export const FreeSourceSchema = Type.Union([
  Type.Object({
    kind: Type.Literal('synthetic'),
    ...common,
    seed: Type.Union([Type.Integer(), Type.String()], { default: 1 }),
    /** Fraction of frames that carry a defect. */
    defectRate: Type.Number({ minimum: 0, maximum: 1, default: 0.05 }),
    /** Distinct pre-rendered frames cycled through (rendering costs ~20–100 ms, so it is done once). */
    distinctFrames: Type.Integer({ minimum: 1, maximum: 1000, default: 32 }),
    /**
     * 'realtime': a frame every 1/fps s, like a camera. 'on-demand': a frame whenever the pipeline is ready for one
     * (at most fps per second), so inference, not the camera, sets the pace — what the benchmark measures.
     */
    pace: Type.Union([Type.Literal('realtime'), Type.Literal('on-demand')], { default: 'realtime' }),
  }),
  Type.Object({ kind: Type.Literal('folder'), ...common, path: Type.String({ minLength: 1 }) }),
  Type.Object({
    kind: Type.Literal('video'),
    ...common,
    path: Type.String({ minLength: 1 }),
    loop: Type.Boolean({ default: true }),
  }),
  Type.Object({
    kind: Type.Literal('rtsp'),
    ...common,
    url: Type.String({ pattern: '^rtsps?://' }),
    tcp: Type.Boolean({ default: true }),
  }),
  Type.Object({ kind: Type.Literal('mjpeg'), ...common, url: Type.String({ pattern: '^https?://' }) }),
  Type.Object({ kind: Type.Literal('v4l2'), ...common, device: Type.String({ pattern: '^/dev/' }) }),
]);
export type FreeSourceConfig = Static<typeof FreeSourceSchema>;

/**
 * A camera that captures only when asked (MQTT `capture` command, OPC UA method, local API): the next frame of the
 * wrapped source after the request is scored, tagged with the caller's part id; the others are not scored at all.
 */
export const TriggerSourceSchema = Type.Object({
  kind: Type.Literal('trigger'),
  source: FreeSourceSchema,
  /** A capture rejects (LW_AGENT_CAPTURE_TIMEOUT) when its frame has no verdict this long after the request. */
  timeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
  /** Captures waiting their turn (one frame is captured and scored at a time); beyond: LW_AGENT_CAPTURE_BUSY. */
  maxQueued: Type.Integer({ minimum: 1, maximum: 1000, default: 16 }),
});

export const SourceSchema = Type.Union([...FreeSourceSchema.anyOf, TriggerSourceSchema]);
export type SourceConfig = Static<typeof SourceSchema>;

/** The source that actually produces frames: a trigger camera's wrapped source, or the source itself. */
export function frameSource(s: SourceConfig): FreeSourceConfig {
  return s.kind === 'trigger' ? s.source : s;
}

export const CameraSchema = Type.Object({
  id: Id,
  source: SourceSchema,
  /** Local fallback threshold; the controller's retained threshold message wins, the manifest's is the default. */
  threshold: Type.Optional(Type.Number({ minimum: 0 })),
  /** Overrides integration.verdicts.minIntervalMs for this camera. */
  verdictMinIntervalMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
});
export type CameraConfig = Static<typeof CameraSchema>;

/** Loopback only: the local API has no TLS; reach it from elsewhere through a proxy that adds TLS and auth. */
const LoopbackHost = Type.Union([Type.Literal('127.0.0.1'), Type.Literal('::1'), Type.Literal('localhost')]);

/** Connecting to the line (issue 19): the verdict topic and the local inference API. */
export const IntegrationSchema = Type.Object(
  {
    verdicts: Type.Object(
      {
        /** A verdict message (QoS 1) for every scored frame on …/{device}/verdict/{camera}. */
        enabled: Type.Boolean({ default: true }),
        /**
         * [low, high] around 1.0 in normalised score (score ÷ threshold): low ≤ n ≤ high is `uncertain`, above
         * `anomalous`, below `ok`. Absent: no band (`anomalous` exactly when the frame is flagged).
         */
        uncertainBand: Type.Optional(Type.Tuple([Type.Number({ minimum: 0 }), Type.Number({ minimum: 0 })])),
        /**
         * Free-running cameras: at most one published verdict per this many ms unless the verdict changes (counters
         * still count every frame). Trigger frames are never throttled. 0 = every frame.
         */
        minIntervalMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 0 }),
      },
      { default: {} },
    ),
    api: Type.Object(
      {
        /** Off by default; when on, it listens on loopback (or `socketPath`) only. */
        enabled: Type.Boolean({ default: false }),
        host: Type.Union(LoopbackHost.anyOf, { default: '127.0.0.1' }),
        /** 0 = any free port (tests). */
        port: Type.Integer({ minimum: 0, maximum: 65_535, default: 8787 }),
        /** Listen on this unix socket instead of host:port (file permissions decide who may call). */
        socketPath: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        /** When set, every request needs `Authorization: Bearer <token>` (env LW_AGENT_API_TOKEN). */
        token: Type.Optional(Type.String({ minLength: 16, maxLength: 256 })),
        maxBodyBytes: Type.Integer({ minimum: 1024, maximum: 256 * 1024 * 1024, default: 16 * 1024 * 1024 }),
        maxPixels: Type.Integer({ minimum: 64, maximum: 100_000_000, default: 25_000_000 }),
        /** Requests waiting for the model beyond the ones running; beyond: 503 LW_AGENT_API_BUSY. */
        queueSize: Type.Integer({ minimum: 0, maximum: 1000, default: 8 }),
        /** API images scored at once: each holds one of the model's input buffers, the cameras keep the rest. */
        concurrency: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
      },
      { default: {} },
    ),
  },
  { default: {} },
);

export const ConfigSchema = Type.Object({
  site: Id,
  line: Id,
  device: Id,
  broker: Type.Object(
    {
      url: Type.String({ pattern: '^(mqtts?|wss?)://', default: 'mqtt://127.0.0.1:1883' }),
      username: Type.Optional(Type.String()),
      password: Type.Optional(Type.String()),
      tls: Type.Optional(
        Type.Object({
          caFile: Type.Optional(Type.String()),
          certFile: Type.Optional(Type.String()),
          keyFile: Type.Optional(Type.String()),
          /** Certificate verification cannot be turned off: `false` is a config error (issue 17); `true` is accepted. */
          rejectUnauthorized: Type.Optional(Type.Literal(true)),
        }),
      ),
      keepaliveS: Type.Integer({ minimum: 5, maximum: 3600, default: 30 }),
      reconnectMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 2000 }),
      connectTimeoutMs: Type.Integer({ minimum: 500, maximum: 600_000, default: 10_000 }),
    },
    { default: {} },
  ),
  cameras: Type.Array(CameraSchema, {
    minItems: 1,
    maxItems: 64,
    default: [{ id: 'cam-1', source: { kind: 'synthetic', width: 256, height: 256, fps: 5 } }],
  }),
  inference: Type.Object(
    {
      /**
       * Tried in order; the first that opens the model is used and reported. The first one is what the device is
       * meant to run on: serving from a later one (CUDA wanted, CPU serving) keeps the status `degraded`
       * (LW_AGENT_PROVIDER_FALLBACK). Default CPU only; GPU devices say `["cuda", "cpu"]`.
       */
      executionProviders: Type.Array(Type.Union(SUPPORTED_PROVIDERS.map((p) => Type.Literal(p))), {
        minItems: 1,
        default: ['cpu'],
      }),
      /**
       * Sessions of the model run side by side, each in its own worker thread. `auto`: on the CPU provider one per core
       * (at most 4, single-threaded unless cores are left over), on a GPU one.
       */
      sessions: Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 1, maximum: 64 })], { default: 'auto' }),
      /** Threads per session; default from `sessions` (auto) or onnxruntime's own (all cores). */
      intraOpThreads: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
      warmUpRuns: Type.Integer({ minimum: 0, maximum: 100, default: 2 }),
      /** GPU ordinal for `cuda` / `tensorrt` (default 0). */
      deviceId: Type.Optional(Type.Integer({ minimum: 0, maximum: 64 })),
      /** TensorRT only: engine cache folder (building an engine takes minutes; cache it) and FP16 kernels. */
      tensorrt: Type.Optional(
        Type.Object({
          engineCacheDir: Type.Optional(Type.String({ minLength: 1 })),
          fp16: Type.Optional(Type.Boolean()),
        }),
      ),
    },
    { default: {} },
  ),
  outbox: Type.Object(
    {
      maxBytes: Type.Integer({ minimum: 1024, default: 512 * 1024 * 1024 }),
      /** What happens when maxBytes is reached: evict the oldest unacked event, or refuse the new one. */
      policy: Type.Union([Type.Literal('drop-oldest'), Type.Literal('refuse-new')], { default: 'drop-oldest' }),
      /** Events published but not yet acked, per connection. */
      maxInFlight: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
      /** Re-publish an event that was not acked this long after it was sent. */
      resendAfterMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
    },
    { default: {} },
  ),
  model: Type.Object({
    /** Ed25519 public key (PEM) that model packages must be signed with. */
    trustedKeyPath: Type.String({ minLength: 1 }),
    /** More trusted keys (key rotation: enrollment writes every key the controller trusts). */
    additionalTrustedKeyPaths: Type.Array(Type.String({ minLength: 1 }), { maxItems: 16, default: [] }),
    /** Package (dir or .tar[.gz]) installed when the data dir holds no model yet. */
    initialPackage: Type.Optional(Type.String({ minLength: 1 })),
    maxDownloadBytes: Type.Integer({ minimum: 1024, default: 1024 * 1024 * 1024 }),
    downloadTimeoutMs: Type.Integer({ minimum: 1000, default: 600_000 }),
  }),
  /**
   * The controller this device was enrolled with: `caFile` is the CA that HTTPS model downloads are verified against
   * (Node's trust store when absent). Written by `linewatch-agent enroll`.
   */
  controller: Type.Object(
    {
      url: Type.Optional(Type.String({ pattern: '^https?://' })),
      caFile: Type.Optional(Type.String({ minLength: 1 })),
    },
    { default: {} },
  ),
  integration: IntegrationSchema,
  dataDir: Type.String({ minLength: 1, default: './agent-data' }),
  healthIntervalS: Type.Number({ minimum: 0.1, maximum: 3600, default: 10 }),
  /** Per-camera score sketch window (`scoreSketch` message: every scored frame's score, for calibration and drift). */
  sketchIntervalS: Type.Number({ minimum: 0.1, maximum: 3600, default: 60 }),
  /** Publish every Nth frame's score (1 = every frame). Flagging is never decimated. */
  scoreDecimation: Type.Integer({ minimum: 1, maximum: 10_000, default: 1 }),
  /**
   * Normal-data sampling (issue #7): per camera, at most one UNflagged frame every this many seconds is sent as an
   * event with `sampled: true` (same outbox and ack as flagged ones) so training sets get normal frames. 0 = off.
   * Default 300 s: ~288 frames per camera per day, small beside the flagged traffic and the outbox budget.
   */
  normalSampleIntervalS: Type.Integer({ minimum: 0, maximum: 86_400, default: 300 }),
  /** A source that delivers nothing for this long is reported stalled and restarted. */
  stallTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
  restartBackoff: Type.Object(
    {
      minMs: Type.Integer({ minimum: 10, default: 500 }),
      maxMs: Type.Integer({ minimum: 10, default: 30_000 }),
    },
    { default: {} },
  ),
  /** Optional OPC UA server for line software (off by default; README "OPC UA"). */
  opcua: OpcUaSchema,
  logLevel: Type.Union(
    [Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error'), Type.Literal('silent')],
    { default: 'info' },
  ),
});
export type AgentConfig = Readonly<Static<typeof ConfigSchema>>;

/** Environment variables that override file values (secrets and per-host identity should not live in files). */
export const ENV_OVERRIDES = {
  LW_AGENT_SITE: ['site'],
  LW_AGENT_LINE: ['line'],
  LW_AGENT_DEVICE: ['device'],
  LW_AGENT_BROKER_URL: ['broker', 'url'],
  LW_AGENT_BROKER_USERNAME: ['broker', 'username'],
  LW_AGENT_BROKER_PASSWORD: ['broker', 'password'],
  LW_AGENT_DATA_DIR: ['dataDir'],
  LW_AGENT_TRUSTED_KEY: ['model', 'trustedKeyPath'],
  LW_AGENT_LOG_LEVEL: ['logLevel'],
  LW_AGENT_API_TOKEN: ['integration', 'api', 'token'],
} as const;

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** Validates a raw object (file contents with env applied); returns a frozen config with defaults filled in. */
export function parseConfig(raw: unknown, env: Readonly<Record<string, string | undefined>> = {}): AgentConfig {
  const value = structuredClone(raw ?? {}) as Record<string, unknown>;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new AgentError('LW_AGENT_CONFIG_INVALID', 'config must be a JSON object');
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    let o = value;
    for (const k of path.slice(0, -1)) {
      if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
      o = o[k] as Record<string, unknown>;
    }
    o[path[path.length - 1]!] = v;
  }
  const withDefaults = Value.Default(ConfigSchema, value);
  if (!Value.Check(ConfigSchema, withDefaults)) {
    const errors = [...Value.Errors(ConfigSchema, withDefaults)]
      .slice(0, 10)
      .map((e) => `${e.path || '/'}: ${e.message}`);
    throw new AgentError('LW_AGENT_CONFIG_INVALID', errors.join('; '), { errors });
  }
  const cfg = withDefaults as AgentConfig;
  const ids = new Set(cfg.cameras.map((c) => c.id));
  if (ids.size !== cfg.cameras.length) throw new AgentError('LW_AGENT_CONFIG_INVALID', 'camera ids must be unique');
  if (cfg.restartBackoff.maxMs < cfg.restartBackoff.minMs)
    throw new AgentError('LW_AGENT_CONFIG_INVALID', 'restartBackoff.maxMs < minMs');
  const band = cfg.integration.verdicts.uncertainBand;
  if (band && !(band[0] <= 1 && 1 <= band[1] && band[0] < band[1]))
    throw new AgentError(
      'LW_AGENT_CONFIG_INVALID',
      'integration.verdicts.uncertainBand must be [low, high] with low ≤ 1 ≤ high',
    );
  if (cfg.broker.url.startsWith('mqtt://') && cfg.broker.tls) {
    throw new AgentError('LW_AGENT_CONFIG_INVALID', 'broker.tls given but broker.url is not mqtts:// or wss://');
  }
  const opcuaProblem = opcUaConfigProblem(cfg.opcua);
  if (opcuaProblem) throw new AgentError('LW_AGENT_CONFIG_INVALID', opcuaProblem);
  return deepFreeze(cfg);
}

/** Reads the JSON file named by `path` (or $LW_AGENT_CONFIG) and applies process.env overrides. */
export function loadConfig(
  path?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): AgentConfig {
  const file = path ?? env['LW_AGENT_CONFIG'];
  let raw: unknown = {};
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new AgentError('LW_AGENT_CONFIG_UNREADABLE', `${file}: ${reasonOf(e)}`, { file });
    }
  }
  return parseConfig(raw, env);
}

/** Where the CLI reads and `enroll` writes the config and state when no option says: $LW_AGENT_CONFIG / $LW_AGENT_DATA_DIR, else beside the working directory. */
export function cliDefaults(env: Readonly<Record<string, string | undefined>> = process.env): {
  configPath: string;
  stateDir: string | undefined;
} {
  return { configPath: env['LW_AGENT_CONFIG'] || 'agent.json', stateDir: env['LW_AGENT_DATA_DIR'] || undefined };
}
