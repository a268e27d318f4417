/**
 * Model-package manifest (`manifest.json` at the package root). It pins every other file by SHA-256 and is itself
 * what the package signature covers, so verifying the signature over these exact bytes and then each file's hash
 * verifies the whole package. It also carries everything an agent needs to preprocess frames and sanity-check the
 * model (golden frames) without knowing how it was trained.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { fail } from './errors.js';
import { Id, Literals, Sha256Hex } from './messages/common.js';
import { SIGNATURE_SCHEMES } from './messages/model.js';
import { checkSchema, isPlainRecord, prune } from './validate.js';

export const MANIFEST_SCHEMA_VERSION = 1;
export const MAX_MANIFEST_BYTES = 1024 * 1024;

const SEMVER = '^(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$';
/** Relative POSIX path inside the package: no leading `/`, no `..` or `.` segments, no backslashes. */
const PACKAGE_PATH = '^(?!.*(^|/)\\.\\.?(/|$))[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$';
const PackagePath = Type.String({ pattern: PACKAGE_PATH, minLength: 1, maxLength: 256 });
const Finite = Type.Number();
const Positive = Type.Number({ exclusiveMinimum: 0, maximum: 1e9 });
const Dim = Type.Integer({ minimum: 1, maximum: 16_384 });

export const ManifestSchema = Type.Object(
  {
    schemaVersion: Type.Literal(MANIFEST_SCHEMA_VERSION),
    modelId: Id('Model family id (stable across versions)'),
    /** Human-facing semantic version; `build` is the machine-facing order (never reused, strictly increasing). */
    version: Type.String({ pattern: SEMVER, maxLength: 64 }),
    build: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    createdAt: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$', maxLength: 40 }),
    backbone: Type.Object({ id: Id('Backbone id, e.g. resnet18-imagenet'), sha256: Type.Optional(Sha256Hex) }),
    input: Type.Object({
      width: Dim,
      height: Dim,
      channels: Type.Union([Type.Literal(1), Type.Literal(3)]),
      /** Resampling to the input size: 'bilinear' (2×2 taps, the default when absent) or 'antialias' (triangle filter widened by the downscale factor). */
      resize: Type.Optional(Literals(['bilinear', 'antialias'] as const)),
      /** 'stretch' (the default when absent): the frame fills the input. 'letterbox': aspect ratio kept, centred, bands in the frame's mean colour; the map's content rectangle covers the frame. */
      fit: Type.Optional(Literals(['stretch', 'letterbox'] as const)),
    }),
    /** pixel' = (pixel * scale - mean[c]) / std[c], channels in `channelOrder`, tensor layout NCHW. */
    normalization: Type.Object({
      mean: Type.Array(Finite, { minItems: 1, maxItems: 3 }),
      std: Type.Array(Positive, { minItems: 1, maxItems: 3 }),
      scale: Positive,
      channelOrder: Literals(['RGB', 'BGR'] as const),
      colour: Literals(['rgb', 'grayscale'] as const),
    }),
    /** Backbone layers whose activations feed the anomaly head. */
    featureTaps: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 16 }),
    tokenGrid: Type.Object({ rows: Dim, cols: Dim }),
    /**
     * How the model's `score` output is made from its `anomaly_map` (optional; a package without it scores
     * 'pooled-max'): 'pooled-max' = the map's max after pool×pool average pooling (local surface defects), 'map-mean'
     * = the whole map's mean (object-level anomalies, the `semantic` preset). The graph computes it, so the agent and
     * `eval` use `score` as it comes; this field says which rule that is.
     */
    scoring: Type.Optional(Type.Object({ rule: Literals(['pooled-max', 'map-mean'] as const), pool: Dim })),
    preset: Id('Training preset name'),
    /** Held-out evaluation metrics (e.g. imageAuroc, pixelAuroc, pro), name → value. */
    metrics: Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' }), Finite),
    /**
     * How the model was trained (optional; packages from before it have none): the effective schedule and seed, and
     * where each setting came from — the preset, a `--config` file, a flag, or `scaled` (decayEpoch scaled with a
     * changed epoch count).
     */
    training: Type.Optional(
      Type.Object({
        epochs: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        lr: Positive,
        batchSize: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        seed: Type.Integer({ minimum: 0, maximum: 4_294_967_295 }),
        weightDecay: Type.Number({ minimum: 0, maximum: 1e9 }),
        decayEpoch: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
        decayFactor: Type.Number({ minimum: 0, maximum: 1e9 }),
        sources: Type.Record(
          Type.String({ pattern: '^[A-Za-z][A-Za-z0-9]{0,31}$' }),
          Literals(['preset', 'config', 'flag', 'scaled'] as const),
        ),
        /** File name (no folder) of the `--config` file, when one was given. */
        configFile: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
      }),
    ),
    threshold: Type.Object({
      value: Type.Number({ minimum: 0, maximum: 1e9 }),
      method: Id('Calibration method, e.g. f1-max or fpr-target'),
      targetFpr: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    }),
    files: Type.Array(
      Type.Object({
        path: PackagePath,
        sha256: Sha256Hex,
        bytes: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
      }),
      { minItems: 1, maxItems: 256 },
    ),
    signing: Type.Object({ scheme: Literals(SIGNATURE_SCHEMES), keyId: Id('Signing key id') }),
    /** Golden frames: the agent scores them after loading and refuses to go live if any is off by more than tolerance. */
    selfTest: Type.Optional(
      Type.Object({
        tolerance: Type.Number({ minimum: 0, maximum: 1e9 }),
        frames: Type.Array(
          Type.Object({ path: PackagePath, expectedScore: Type.Number({ minimum: 0, maximum: 1e9 }) }),
          {
            minItems: 1,
            maxItems: 64,
          },
        ),
      }),
    ),
  },
  { $id: 'linewatch/model-manifest/v1', description: 'Model package manifest' },
);
export type Manifest = Static<typeof ManifestSchema>;

/** Cross-field rules the schema language cannot state. */
function manifestProblem(m: Manifest): string | undefined {
  const n = m.input.channels;
  if (m.normalization.mean.length !== n || m.normalization.std.length !== n)
    return 'normalization.mean/std must have one entry per input channel';
  if ((n === 1) !== (m.normalization.colour === 'grayscale'))
    return 'normalization.colour must be grayscale exactly when input.channels is 1';
  const paths = new Set(m.files.map((f) => f.path));
  if (paths.size !== m.files.length) return 'files[].path must be unique';
  if (!paths.has('model.onnx')) return 'files must include model.onnx';
  const missing = m.selfTest?.frames.find((f) => !paths.has(f.path));
  if (missing) return `selfTest frame ${missing.path} is not listed in files`;
  return undefined;
}

/** Validates an already-parsed manifest object; returns a pruned copy typed as Manifest. */
export function validateManifest(value: unknown): Manifest {
  checkSchema(ManifestSchema, value, 'manifest');
  const problem = manifestProblem(value as Manifest);
  if (problem) fail('LW_PROTO_SCHEMA_VIOLATION', `manifest: ${problem}`, { what: 'manifest', rule: problem });
  return prune(ManifestSchema, value) as Manifest;
}

export function isManifest(value: unknown): value is Manifest {
  try {
    validateManifest(value);
    return true;
  } catch {
    return false;
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses manifest bytes (as read from the package) or text. Every failure is a coded ProtocolError. */
export function parseManifest(input: Uint8Array | string, maxBytes = MAX_MANIFEST_BYTES): Manifest {
  let text: string;
  if (typeof input === 'string') {
    if (input.length > maxBytes)
      fail('LW_PROTO_TOO_LARGE', 'manifest too large', { what: 'manifest', size: input.length, limit: maxBytes });
    text = input;
  } else if (input instanceof Uint8Array) {
    if (input.byteLength > maxBytes)
      fail('LW_PROTO_TOO_LARGE', 'manifest too large', { what: 'manifest', size: input.byteLength, limit: maxBytes });
    try {
      text = decoder.decode(input);
    } catch {
      fail('LW_PROTO_INVALID_UTF8', 'manifest is not valid UTF-8', { what: 'manifest' });
    }
  } else {
    fail('LW_PROTO_INVALID_ARGUMENT', 'manifest input must be bytes or a string', { got: typeof input });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    fail('LW_PROTO_INVALID_JSON', 'manifest is not valid JSON', {
      what: 'manifest',
      reason: e instanceof Error ? e.message : String(e),
    });
  }
  if (!isPlainRecord(parsed)) fail('LW_PROTO_INVALID_JSON', 'manifest must be a JSON object', { what: 'manifest' });
  return validateManifest(parsed);
}

/** Canonical text for writing a manifest (stable key order from the schema, 2-space indent, trailing newline). */
export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(validateManifest(manifest), null, 2)}\n`;
}
