/**
 * encode/decode: schema-checked messages ⇄ payload bytes, in either wire form (wire.ts): JSON for kinds without
 * binary parts, the binary envelope for events — or the envelope for every kind when asked (`wire: 'envelope'`,
 * what protocol-1 peers read). Decoding accepts both forms for every kind and tells them apart by the first byte.
 * Both directions validate, so a bad message is rejected at the producer (with a coded error the developer sees)
 * instead of at the consumer (where it becomes a dead letter). Every failure is a ProtocolError; the property tests
 * fuzz this module to keep it that way.
 */
import { DEFAULT_LIMITS, decodeEnvelope, encodeEnvelope } from './envelope.js';
import type { EnvelopeLimits, PartRange } from './envelope.js';
import { fail } from './errors.js';
import { checkImage } from './images.js';
import { decodeJson, encodeJson } from './json-codec.js';
import { KINDS, isMessageKind, kindById } from './kinds.js';
import type { MessageKind } from './kinds.js';
import type { AnyMessage, MessageDef, MessageOf, PartSpec } from './messages/index.js';
import { assertMessage, checkSchema, defFor, isPlainRecord, prune } from './validate.js';
import { WIRE_FORMS, defaultWireForm, wireFormOf } from './wire.js';
import type { WireForm } from './wire.js';

export interface CodecOptions {
  /** Maximum payload size (either form); defaults to the kind's `maxBytes` in KINDS. */
  readonly maxBytes?: number;
  /** Envelope only: the JSON header, and any one binary part. */
  readonly maxHeaderBytes?: number;
  readonly maxPartBytes?: number;
  /**
   * encode only: the wire form to write. Default: `json` for kinds without binary parts, `envelope` for events.
   * `envelope` writes what protocol-1 peers read; `json` for a kind with binary parts is LW_PROTO_WIRE_FORM.
   */
  readonly wire?: WireForm;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();
const ANY_KIND_LIMITS: EnvelopeLimits = {
  ...DEFAULT_LIMITS,
  maxBytes: Math.max(...Object.values(KINDS).map((k) => k.maxBytes)),
};
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function encode<K extends MessageKind>(kind: K, message: MessageOf<K>, options: CodecOptions = {}): Uint8Array {
  const d = defFor(kind);
  const limits = limitsFor(kind, options);
  if (wireOption(kind, options) === 'json') return encodeJson(kind, message, limits.maxBytes);
  assertMessage(kind, message);
  const record = message as Record<string, unknown>;
  const headerText = JSON.stringify(prune(d.header, record));
  const parts: Uint8Array[] = [];
  for (const spec of d.parts) {
    const value = record[spec.field];
    if (value === undefined) break; // optional parts trail (checked by the part range on decode)
    if (spec.encoding === 'f32le') parts.push(float32ToBytes(value as Float32Array));
    else {
      if (spec.media) checkImage(spec.media, value as Uint8Array, spec.field);
      parts.push(value as Uint8Array);
    }
  }
  return encodeEnvelope(KINDS[kind].id, utf8Encoder.encode(headerText), parts, limits);
}

export function decode<K extends MessageKind>(kind: K, bytes: Uint8Array, options: CodecOptions = {}): MessageOf<K> {
  const d = defFor(kind);
  const expectedId = KINDS[kind].id;
  const limits = limitsFor(kind, options);
  if (isJson(bytes)) return decodeJson(bytes, kind, limits.maxBytes).message as MessageOf<K>;
  const env = decodeEnvelope(bytes, limits, (id) => {
    if (id !== expectedId) {
      fail('LW_PROTO_KIND_MISMATCH', `expected ${kind}, envelope carries ${kindById(id) ?? `unknown kind id ${id}`}`, {
        expected: kind,
        got: kindById(id) ?? id,
      });
    }
    return partRange(d);
  });
  return materialise(kind, d, env.header, env.parts) as MessageOf<K>;
}

/**
 * Decode without knowing the kind in advance (the envelope's kind byte, or the JSON `kind`, decides). Limits default
 * to the largest kind's until the kind is known, then to that kind's.
 */
export function decodeAny(bytes: Uint8Array, options: CodecOptions = {}): AnyMessage {
  const limits = mergeLimits(ANY_KIND_LIMITS, options);
  if (isJson(bytes)) return decodeJson(bytes, undefined, limits.maxBytes, options.maxBytes) as AnyMessage;
  let kind: MessageKind | undefined;
  const env = decodeEnvelope(bytes, limits, (id) => {
    kind = kindById(id);
    if (!kind) fail('LW_PROTO_UNKNOWN_KIND', `unknown kind id ${id}`, { kindId: id });
    // The generic limit above is loose; now that the kind is known, hold the payload to the kind's own limit.
    const max = options.maxBytes ?? KINDS[kind].maxBytes;
    if (bytes.byteLength > max)
      fail('LW_PROTO_TOO_LARGE', `${kind} payload exceeds ${max} bytes`, {
        what: 'envelope',
        size: bytes.byteLength,
        limit: max,
      });
    return partRange(defFor(kind));
  });
  const k = kind as MessageKind;
  return { kind: k, message: materialise(k, defFor(k), env.header, env.parts) } as AnyMessage;
}

function materialise(kind: MessageKind, d: MessageDef, headerBytes: Uint8Array, parts: readonly Uint8Array[]): unknown {
  let text: string;
  try {
    text = utf8Decoder.decode(headerBytes);
  } catch {
    fail('LW_PROTO_INVALID_UTF8', `${kind} header is not valid UTF-8`, { kind });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    fail('LW_PROTO_INVALID_JSON', `${kind} header is not valid JSON`, {
      kind,
      reason: e instanceof Error ? e.message : String(e),
    });
  }
  if (!isPlainRecord(parsed)) fail('LW_PROTO_INVALID_JSON', `${kind} header must be a JSON object`, { kind });
  checkSchema(d.header, parsed, `${kind} header`);
  const message = prune(d.header, parsed) as Record<string, unknown>;
  if (d.parts.length === 0) {
    // Header schema IS the message schema here: only the cross-field rules remain (saves a second pass per score).
    const reason = d.refine?.(message as never);
    if (reason !== undefined) fail('LW_PROTO_SCHEMA_VIOLATION', `${kind}: ${reason}`, { what: kind, rule: reason });
    return message;
  }
  parts.forEach((bytes, i) => {
    const spec = d.parts[i] as PartSpec;
    message[spec.field] = spec.encoding === 'f32le' ? bytesToFloat32(bytes, spec.field) : bytes;
    if (spec.media) checkImage(spec.media, bytes, spec.field);
  });
  assertMessage(kind, message);
  return message;
}

/** JSON when it opens a JSON object; anything else (garbage included) is judged by the envelope's checks. */
function isJson(bytes: Uint8Array): boolean {
  if (!(bytes instanceof Uint8Array))
    fail('LW_PROTO_INVALID_ARGUMENT', 'payload must be a Uint8Array or Buffer', { got: typeof bytes });
  return wireFormOf(bytes) === 'json';
}

function wireOption(kind: MessageKind, options: CodecOptions): WireForm {
  const wire = options.wire ?? defaultWireForm(kind);
  if (!WIRE_FORMS.includes(wire))
    fail('LW_PROTO_INVALID_ARGUMENT', 'wire must be "json" or "envelope"', { option: 'wire' });
  return wire;
}

function partRange(d: MessageDef): PartRange {
  return { min: d.parts.filter((p) => !p.optional).length, max: d.parts.length };
}

function limitsFor(kind: MessageKind, options: CodecOptions): EnvelopeLimits {
  if (!isMessageKind(kind)) fail('LW_PROTO_UNKNOWN_KIND', 'unknown message kind', { kind: String(kind) });
  return mergeLimits({ ...DEFAULT_LIMITS, maxBytes: KINDS[kind].maxBytes }, options);
}

function mergeLimits(base: EnvelopeLimits, options: CodecOptions): EnvelopeLimits {
  if (typeof options !== 'object' || options === null) fail('LW_PROTO_INVALID_ARGUMENT', 'options must be an object');
  const pick = (name: 'maxBytes' | 'maxHeaderBytes' | 'maxPartBytes'): number => {
    const v = options[name];
    if (v === undefined) return base[name];
    if (!Number.isSafeInteger(v) || v < 0)
      fail('LW_PROTO_INVALID_ARGUMENT', `${name} must be a non-negative integer`, { option: name });
    return v;
  };
  return { maxBytes: pick('maxBytes'), maxHeaderBytes: pick('maxHeaderBytes'), maxPartBytes: pick('maxPartBytes') };
}

function float32ToBytes(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

function bytesToFloat32(bytes: Uint8Array, field: string): Float32Array {
  if (bytes.length % 4 !== 0)
    fail('LW_PROTO_PART_INVALID', `${field} length ${bytes.length} is not a multiple of 4`, {
      field,
      length: bytes.length,
    });
  // `bytes` is a fresh copy at offset 0, so the view is aligned.
  if (LITTLE_ENDIAN_HOST) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}
