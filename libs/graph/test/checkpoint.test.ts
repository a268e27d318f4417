import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, decodeCheckpoint, encodeCheckpoint } from '../src/checkpoint.js';
import { isGraphError } from '../src/errors.js';

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('checkpoint round-trips mixed dtypes and is self-describing', () => {
  const ckpt = {
    step: 42,
    meta: { optimizer: { kind: 'adamw' }, note: 'x' },
    entries: [
      { name: 'w', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, Math.PI) },
      { name: 'b', shape: [1], data: Float64Array.of(-0.5) },
      { name: 'idx', shape: [3], data: BigInt64Array.of(1n, -2n, 3n) },
    ],
  };
  const bytes = encodeCheckpoint(ckpt);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), 'LWCKPT01');
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(12, 12 + new DataView(bytes.buffer).getUint32(8, true))),
  );
  assert.deepEqual(
    header.entries.map((e: { name: string; dtype: string; offset: number }) => [e.name, e.dtype, e.offset % 8]),
    [
      ['w', 'float32', 0],
      ['b', 'float64', 0],
      ['idx', 'int64', 0],
    ],
  );
  const back = decodeCheckpoint(bytes);
  assert.equal(back.step, 42);
  assert.deepEqual(back.meta, ckpt.meta);
  assert.deepEqual(back.entries, ckpt.entries);
});

test('truncated or tampered checkpoints are rejected with LW_GRAPH_CHECKPOINT_CORRUPT', () => {
  const bytes = encodeCheckpoint({
    step: 1,
    meta: {},
    entries: [{ name: 'w', shape: [4], data: new Float32Array(4) }],
  });
  const corrupt = (b: Uint8Array) => () => decodeCheckpoint(b);
  const isCorrupt = (e: unknown) => isGraphError(e, 'LW_GRAPH_CHECKPOINT_CORRUPT');
  assert.throws(corrupt(bytes.subarray(0, bytes.length - 3)), isCorrupt);
  assert.throws(corrupt(new Uint8Array(4)), isCorrupt);
  const flipped = bytes.slice();
  flipped[20] = flipped[20]! ^ 1;
  assert.throws(corrupt(flipped), isCorrupt);
});
