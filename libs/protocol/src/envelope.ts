/**
 * The binary envelope: one framing for every payload, so images travel as raw bytes (no base64 +33%), every payload
 * is self-identifying (magic + kind byte) and versioned, and a reader can check every declared length against the
 * buffer and the limits BEFORE it allocates anything.
 *
 *   offset  size  field
 *   0       2     magic "LW" (0x4C 0x57)
 *   2       1     envelope version (1)
 *   3       1     kind id (KINDS[kind].id)
 *   4       4     H = header length, u32 big-endian
 *   8       H     header: UTF-8 JSON object (the message without its binary fields)
 *   8+H     1     N = part count
 *   …       4+Li  N times: Li = part length (u32 big-endian), then Li bytes
 *   end           nothing may follow the last part
 */
import { fail } from './errors.js';

export const ENVELOPE_MAGIC: readonly [number, number] = [0x4c, 0x57];
export const ENVELOPE_VERSION = 1;
export const SUPPORTED_ENVELOPE_VERSIONS: readonly number[] = [1];
/** Bytes before the header: magic, version, kind, header length. */
export const ENVELOPE_PREFIX_BYTES = 8;
export const MAX_PARTS = 255;

export interface EnvelopeLimits {
  /** Whole envelope. */
  readonly maxBytes: number;
  readonly maxHeaderBytes: number;
  /** Any single binary part. */
  readonly maxPartBytes: number;
}

export const DEFAULT_LIMITS: EnvelopeLimits = Object.freeze({
  maxBytes: 9 * 1024 * 1024,
  maxHeaderBytes: 128 * 1024,
  maxPartBytes: 8 * 1024 * 1024,
});

export interface Envelope {
  readonly version: number;
  readonly kindId: number;
  /** Raw header bytes (UTF-8 JSON, not yet decoded). */
  readonly header: Uint8Array;
  /** Copies, owned by the caller: MQTT clients may reuse their receive buffers. */
  readonly parts: Uint8Array[];
}

export interface PartRange {
  readonly min: number;
  readonly max: number;
}

export function encodeEnvelope(
  kindId: number,
  header: Uint8Array,
  parts: readonly Uint8Array[],
  limits: EnvelopeLimits,
): Uint8Array {
  if (header.length > limits.maxHeaderBytes) tooLarge('header', header.length, limits.maxHeaderBytes);
  if (parts.length > MAX_PARTS) fail('LW_PROTO_PART_COUNT', `at most ${MAX_PARTS} parts`, { count: parts.length });
  let total = ENVELOPE_PREFIX_BYTES + header.length + 1;
  parts.forEach((p, index) => {
    if (p.length > limits.maxPartBytes) tooLarge('part', p.length, limits.maxPartBytes, { index });
    total += 4 + p.length;
  });
  if (total > limits.maxBytes) tooLarge('envelope', total, limits.maxBytes);

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out[0] = ENVELOPE_MAGIC[0];
  out[1] = ENVELOPE_MAGIC[1];
  out[2] = ENVELOPE_VERSION;
  out[3] = kindId;
  view.setUint32(4, header.length);
  out.set(header, ENVELOPE_PREFIX_BYTES);
  let off = ENVELOPE_PREFIX_BYTES + header.length;
  out[off++] = parts.length;
  for (const p of parts) {
    view.setUint32(off, p.length);
    out.set(p, off + 4);
    off += 4 + p.length;
  }
  return out;
}

/**
 * `partsFor` maps the kind byte to the allowed part count; it throws (LW_PROTO_KIND_MISMATCH / LW_PROTO_UNKNOWN_KIND)
 * when the caller does not accept that kind, so the kind is judged before any length is trusted.
 */
export function decodeEnvelope(
  input: Uint8Array,
  limits: EnvelopeLimits,
  partsFor: (kindId: number) => PartRange,
): Envelope {
  if (!(input instanceof Uint8Array))
    fail('LW_PROTO_INVALID_ARGUMENT', 'payload must be a Uint8Array or Buffer', { got: typeof input });
  // Normalise Buffer/subarray views so offsets below are relative to the payload.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const len = bytes.length;
  if (len > limits.maxBytes) tooLarge('envelope', len, limits.maxBytes);
  // Magic first, on whatever bytes exist, so that non-envelope garbage is reported as such rather than as truncated.
  for (let i = 0; i < Math.min(len, 2); i++) {
    if (bytes[i] !== ENVELOPE_MAGIC[i]) fail('LW_PROTO_BAD_MAGIC', 'payload does not start with "LW"', { offset: i });
  }
  if (len >= 3 && !SUPPORTED_ENVELOPE_VERSIONS.includes(bytes[2] as number)) {
    fail('LW_PROTO_UNSUPPORTED_VERSION', `envelope version ${bytes[2]} not supported`, {
      version: bytes[2],
      supported: SUPPORTED_ENVELOPE_VERSIONS,
    });
  }
  if (len < ENVELOPE_PREFIX_BYTES) truncated('prefix', ENVELOPE_PREFIX_BYTES, len);
  const partRange = partsFor(bytes[3] as number);
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  const headerLen = view.getUint32(4);
  if (headerLen > limits.maxHeaderBytes) tooLarge('header', headerLen, limits.maxHeaderBytes);
  const headerEnd = ENVELOPE_PREFIX_BYTES + headerLen;
  if (headerEnd + 1 > len) truncated('header', headerEnd + 1, len);
  const count = bytes[headerEnd] as number;
  if (count < partRange.min || count > partRange.max) {
    fail('LW_PROTO_PART_COUNT', `expected ${partRange.min}..${partRange.max} parts, got ${count}`, {
      count,
      ...partRange,
    });
  }

  // Pass 1: walk the declared lengths without allocating.
  const spans: [number, number][] = [];
  let off = headerEnd + 1;
  for (let i = 0; i < count; i++) {
    if (off + 4 > len) truncated('part length', off + 4, len, { index: i });
    const partLen = view.getUint32(off);
    if (partLen > limits.maxPartBytes) tooLarge('part', partLen, limits.maxPartBytes, { index: i });
    if (off + 4 + partLen > len) truncated('part', off + 4 + partLen, len, { index: i });
    spans.push([off + 4, off + 4 + partLen]);
    off += 4 + partLen;
  }
  if (off !== len) fail('LW_PROTO_TRAILING_BYTES', `${len - off} bytes after the last part`, { extra: len - off });

  // Pass 2: everything is consistent; copy.
  return {
    version: bytes[2] as number,
    kindId: bytes[3] as number,
    header: bytes.slice(ENVELOPE_PREFIX_BYTES, headerEnd),
    parts: spans.map(([a, b]) => bytes.slice(a, b)),
  };
}

function tooLarge(what: string, size: number, limit: number, extra: Record<string, unknown> = {}): never {
  fail('LW_PROTO_TOO_LARGE', `${what} is ${size} bytes, limit ${limit}`, { what, size, limit, ...extra });
}

function truncated(what: string, needed: number, available: number, extra: Record<string, unknown> = {}): never {
  fail('LW_PROTO_TRUNCATED', `${what} needs ${needed} bytes, only ${available} present`, {
    what,
    needed,
    available,
    ...extra,
  });
}
