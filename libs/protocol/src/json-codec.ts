/**
 * The JSON wire form: `{"v":2,"kind":"<kind>",…the message's fields in schema order}` as UTF-8, validated by the
 * same TypeBox schema as the envelope's header. `v` and `kind` come first so a human (or a broker rule) sees what a
 * payload is at a glance, and so decodeAny can tell the kind without a topic, as the envelope's kind byte does.
 */
import { fail } from './errors.js';
import { KINDS, isMessageKind } from './kinds.js';
import type { MessageKind } from './kinds.js';
import { assertMessage, checkSchema, defFor, describe, isPlainRecord, prune } from './validate.js';
import { PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, kindTravelsAs } from './wire.js';

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

export function encodeJson(kind: MessageKind, message: unknown, maxBytes: number): Uint8Array {
  requireJsonForm(kind);
  assertMessage(kind, message);
  const body = prune(defFor(kind).schema, message) as Record<string, unknown>;
  const bytes = utf8Encoder.encode(JSON.stringify({ v: PROTOCOL_VERSION, kind, ...body }));
  if (bytes.length > maxBytes) tooLarge(kind, bytes.length, maxBytes);
  return bytes;
}

/**
 * JSON payload → message. `expected` is the kind the caller (or topic) requires; undefined lets the payload's `kind`
 * decide, held to that kind's size limit unless `maxBytesOverride` is given.
 */
export function decodeJson(
  bytes: Uint8Array,
  expected: MessageKind | undefined,
  maxBytes: number,
  maxBytesOverride?: number,
): { kind: MessageKind; message: unknown } {
  if (bytes.length > maxBytes) tooLarge(expected ?? 'payload', bytes.length, maxBytes);
  const parsed = parseObject(bytes, expected);
  const kind = kindOf(parsed, expected);
  const limit = maxBytesOverride ?? KINDS[kind].maxBytes;
  if (bytes.length > limit) tooLarge(kind, bytes.length, limit);
  requireJsonForm(kind);
  checkVersion(parsed['v'], kind);
  const { v: _v, kind: _k, ...fields } = parsed;
  const d = defFor(kind);
  checkSchema(d.schema, fields, kind);
  const message = prune(d.schema, fields);
  const reason = d.refine?.(message as never);
  if (reason !== undefined) fail('LW_PROTO_SCHEMA_VIOLATION', `${kind}: ${reason}`, { what: kind, rule: reason });
  return { kind, message };
}

function parseObject(bytes: Uint8Array, expected: MessageKind | undefined): Record<string, unknown> {
  const what = expected ?? 'JSON payload';
  let text: string;
  try {
    text = utf8Decoder.decode(bytes);
  } catch {
    fail('LW_PROTO_INVALID_UTF8', `${what} is not valid UTF-8`, { kind: expected ?? null });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    fail('LW_PROTO_INVALID_JSON', `${what} is not valid JSON`, {
      kind: expected ?? null,
      reason: e instanceof Error ? e.message : String(e),
    });
  }
  if (!isPlainRecord(parsed))
    fail('LW_PROTO_INVALID_JSON', `${what} must be a JSON object`, { kind: expected ?? null });
  return parsed;
}

function kindOf(parsed: Record<string, unknown>, expected: MessageKind | undefined): MessageKind {
  const got = parsed['kind'];
  if (expected !== undefined) {
    if (got !== expected)
      fail('LW_PROTO_KIND_MISMATCH', `expected ${expected}, JSON payload says kind ${describe(got)}`, {
        expected,
        got: describe(got),
      });
    return expected;
  }
  if (!isMessageKind(got)) fail('LW_PROTO_UNKNOWN_KIND', `unknown kind ${describe(got)}`, { kind: describe(got) });
  return got;
}

function checkVersion(v: unknown, kind: MessageKind): void {
  if (typeof v === 'number' && SUPPORTED_PROTOCOL_VERSIONS.includes(v)) return;
  const shown = typeof v === 'number' ? v : describe(v);
  fail(
    'LW_PROTO_UNSUPPORTED_VERSION',
    v === undefined
      ? `${kind}: JSON payload lacks the protocol version "v"`
      : `protocol version ${shown} not supported`,
    { version: v === undefined ? null : shown, supported: SUPPORTED_PROTOCOL_VERSIONS },
  );
}

function requireJsonForm(kind: MessageKind): void {
  if (!kindTravelsAs(kind, 'json'))
    fail('LW_PROTO_WIRE_FORM', `${kind} carries binary parts and travels only as an envelope`, { kind });
}

function tooLarge(what: string, size: number, limit: number): never {
  fail('LW_PROTO_TOO_LARGE', `${what} payload is ${size} bytes, limit ${limit}`, { what: 'json', size, limit });
}
