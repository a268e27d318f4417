/**
 * Schema building blocks shared by every message. Patterns are deliberately strict: ids end up in topics, file paths
 * and database keys, so we allow only characters that are safe in all three.
 */
import { Kind, Type, TypeRegistry } from '@sinclair/typebox';
import type { TLiteral, TSchema, TUnion, TUnsafe } from '@sinclair/typebox';

/** Same character set and length as a topic segment (see topics.ts), so an id can always be used as one. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
export const MAX_ID_LENGTH = 64;

export const Id = (description: string): ReturnType<typeof Type.String> =>
  Type.String({ pattern: ID_PATTERN, minLength: 1, maxLength: MAX_ID_LENGTH, description });

export const DeviceId = Id('Device id; equals the {device} topic segment.');
export const CameraId = Id('Camera id, unique within a device.');
/** ULID/UUID-like: producers pick, the controller dedupes on (device, seq) and uses the id for acks. */
export const EventId = Type.String({
  pattern: '^[A-Za-z0-9_-]{8,64}$',
  minLength: 8,
  maxLength: 64,
  description: 'Event id (e.g. ULID)',
});
/** Registry version string as published by the controller, e.g. `2.3.0+57`. Kept lenient on purpose. */
export const ModelVersion = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$',
  minLength: 1,
  maxLength: 64,
  description: 'Model version',
});
export const RolloutId = Id('Rollout id chosen by the controller.');

/** Epoch milliseconds (UTC). Integers: cheap to compare, no time-zone or format ambiguity. */
export const Timestamp = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000, description: 'Epoch ms (UTC)' });
export const Counter = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
/** Sparkplug-B-style birth/death sequence; compared for equality only, wraps at 2^32. */
export const BdSeq = Type.Integer({ minimum: 0, maximum: 0xffff_ffff, description: 'Birth/death sequence' });
export const Sha256Hex = Type.String({
  pattern: '^[0-9a-f]{64}$',
  minLength: 64,
  maxLength: 64,
  description: 'Lower-case hex SHA-256',
});
export const Base64 = (maxLength: number): ReturnType<typeof Type.String> =>
  Type.String({ pattern: '^[A-Za-z0-9+/]+={0,2}$', minLength: 4, maxLength });
/** Image scores are model-specific and may exceed 1, but are never negative; the bound only rejects garbage. */
export const Score = Type.Number({ minimum: 0, maximum: 1e9 });
export const Literals = <T extends string>(values: readonly [T, ...T[]], description?: string): TUnion<TLiteral<T>[]> =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  );

/**
 * The one list of onnxruntime execution-provider names in the repository: messages carry them, and inference, the
 * training runtime and the agent type their settings with `ExecutionProvider` (each may open only a subset).
 */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'openvino', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];
export const ExecutionProvider = Literals(EXECUTION_PROVIDERS, 'onnxruntime execution provider in use');

// --- Binary field types ---------------------------------------------------------------------------------------------

/**
 * Media type marker for byte fields: the codec checks the signature, and the test arbitraries generate valid
 * prefixes. `contentMediaType` is the JSON-Schema keyword for exactly this.
 */
export type ImageMedia = 'image/jpeg' | 'image/png';

export const Jpeg = (maxByteLength: number): ReturnType<typeof Type.Uint8Array> =>
  Type.Uint8Array({ minByteLength: 3, maxByteLength, contentMediaType: 'image/jpeg' });
export const Png = (maxByteLength: number): ReturnType<typeof Type.Uint8Array> =>
  Type.Uint8Array({ minByteLength: 33, maxByteLength, contentMediaType: 'image/png' });

/** TypeBox has no Float32Array type; register one so the compiled checker can validate feature vectors. */
export const FLOAT32_KIND = 'LwFloat32Array';
export interface Float32ArrayOptions {
  minLength?: number;
  maxLength?: number;
}
if (!TypeRegistry.Has(FLOAT32_KIND)) {
  TypeRegistry.Set<Float32ArrayOptions>(FLOAT32_KIND, (schema, value) => {
    if (!(value instanceof Float32Array)) return false;
    if (schema.minLength !== undefined && value.length < schema.minLength) return false;
    if (schema.maxLength !== undefined && value.length > schema.maxLength) return false;
    // Non-finite features are always a producer bug, and NaN breaks equality-based dedupe downstream.
    for (let i = 0; i < value.length; i++) if (!Number.isFinite(value[i])) return false;
    return true;
  });
}
export const Float32 = (options: Float32ArrayOptions): TUnsafe<Float32Array> =>
  Type.Unsafe<Float32Array>({ [Kind]: FLOAT32_KIND, ...options });

export const isFloat32Schema = (schema: TSchema): boolean => (schema as { [Kind]?: string })[Kind] === FLOAT32_KIND;
