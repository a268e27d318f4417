/**
 * Self-describing checkpoint: params + optimizer state + step, resumable bit-exactly.
 *
 * Layout (little-endian):  "LWCKPT01" | u32 headerBytes | header JSON | pad to 8 | tensor bytes (each 8-aligned)
 *                          | u32 CRC-32 of everything before it.
 * The JSON header names every tensor with dtype, shape, offset and byte length, so a checkpoint can be inspected
 * (or loaded from another language) without this code.
 */
import { GraphError } from './errors.js';
import type { DType, Shape, TensorData } from './tensor.js';
import { allocFor, dtypeOfData, shapeSize } from './tensor.js';

const MAGIC = 'LWCKPT01';
const VERSION = 1;

export interface CheckpointEntry {
  readonly name: string;
  readonly shape: Shape;
  readonly data: TensorData;
}

export interface Checkpoint {
  readonly step: number;
  readonly entries: readonly CheckpointEntry[];
  /** Free-form JSON (optimizer kind and hyper-parameters, model notes). */
  readonly meta: Readonly<Record<string, unknown>>;
}

interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  offset: number;
  bytes: number;
}

let crcTable: Uint32Array | undefined;
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const align8 = (n: number): number => (n + 7) & ~7;

export function encodeCheckpoint(ckpt: Checkpoint): Uint8Array {
  const header: HeaderEntry[] = [];
  let offset = 0;
  for (const e of ckpt.entries) {
    header.push({ name: e.name, dtype: dtypeOfData(e.data), shape: [...e.shape], offset, bytes: e.data.byteLength });
    offset = align8(offset + e.data.byteLength);
  }
  const json = new TextEncoder().encode(
    JSON.stringify({ version: VERSION, step: ckpt.step, meta: ckpt.meta, entries: header }),
  );
  const dataStart = align8(8 + 4 + json.length);
  const total = dataStart + offset + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  ckpt.entries.forEach((e, i) => {
    out.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), dataStart + header[i]!.offset);
  });
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)), true);
  return out;
}

function corrupt(message: string, details: Record<string, unknown> = {}): GraphError {
  return new GraphError('LW_GRAPH_CHECKPOINT_CORRUPT', message, details);
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC)
    throw corrupt('not a linewatch checkpoint');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stored = view.getUint32(bytes.length - 4, true);
  const actual = crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== actual) throw corrupt('checksum mismatch', { stored, actual });
  const jsonLen = view.getUint32(8, true);
  if (12 + jsonLen > bytes.length - 4) throw corrupt('header overruns the file');
  let header: { version: number; step: number; meta: Record<string, unknown>; entries: HeaderEntry[] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLen))) as typeof header;
  } catch {
    throw corrupt('header is not JSON');
  }
  if (header.version !== VERSION)
    throw corrupt(`unsupported checkpoint version ${header.version}`, { version: header.version });
  const dataStart = align8(12 + jsonLen);
  const entries = header.entries.map((h) => {
    const data = allocFor(h.dtype, shapeSize(h.shape));
    if (data.byteLength !== h.bytes || dataStart + h.offset + h.bytes > bytes.length - 4) {
      throw corrupt(`entry '${h.name}' has inconsistent size`, { name: h.name });
    }
    // Copy (not view) so the typed array is aligned and independent of the file buffer.
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + h.offset, dataStart + h.offset + h.bytes));
    return { name: h.name, shape: h.shape, data };
  });
  return { step: header.step, entries, meta: header.meta };
}
