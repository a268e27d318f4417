/**
 * Radix sorting of float32 scores. Pixel-level metrics sort 15–20 M scores; V8's comparator-free TypedArray sort
 * takes ~2 s for 15 M floats, an LSD radix sort over order-preserving uint32 keys takes a fraction of that and can
 * carry a payload (component id, label) along without an index indirection.
 */

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/**
 * Maps a float32 to a uint32 whose unsigned order equals the float order: flip all bits of negatives, flip the sign
 * bit of non-negatives. -0 is normalised to +0 so that equal floats always have equal keys (ties stay ties).
 */
export function floatToKey(value: number): number {
  F32[0] = value === 0 ? 0 : value;
  const bits = U32[0]!;
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

/** Inverse of {@link floatToKey}. */
export function keyToFloat(key: number): number {
  U32[0] = (key & 0x80000000 ? key & 0x7fffffff : ~key) >>> 0;
  return F32[0]!;
}

/** Converts a float32 array to order-preserving keys in one pass over the raw bits (no per-element call). */
export function keysOf(values: Float32Array, out = new Uint32Array(values.length)): Uint32Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) {
    let b = bits[i]!;
    if (b === 0x80000000) b = 0; // -0 → +0
    out[i] = (b & 0x80000000 ? ~b : b | 0x80000000) >>> 0;
  }
  return out;
}

/**
 * Sorts `keys` ascending in place (stable LSD radix, 3 passes of 11/11/10 bits), permuting `payload` alongside.
 * Passes where every key falls in one bucket are skipped (common for maps with a narrow value range).
 */
export function radixSortKeys(keys: Uint32Array, payload?: Uint32Array): void {
  const n = keys.length;
  if (n < 2) return;
  let src: Uint32Array = keys;
  let dst: Uint32Array = new Uint32Array(n);
  let psrc: Uint32Array | undefined = payload;
  let pdst: Uint32Array | undefined = payload ? new Uint32Array(n) : undefined;
  const counts = new Uint32Array(2048);
  for (const shift of [0, 11, 22]) {
    const mask = shift === 22 ? 0x3ff : 0x7ff;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(src[i]! >>> shift) & mask]!++;
    if (counts[(src[0]! >>> shift) & mask] === n) continue;
    let sum = 0;
    for (let b = 0; b <= mask; b++) {
      const c = counts[b]!;
      counts[b] = sum;
      sum += c;
    }
    if (psrc && pdst) {
      for (let i = 0; i < n; i++) {
        const k = src[i]!;
        const at = counts[(k >>> shift) & mask]!++;
        dst[at] = k;
        pdst[at] = psrc[i]!;
      }
      [psrc, pdst] = [pdst, psrc];
    } else {
      for (let i = 0; i < n; i++) {
        const k = src[i]!;
        dst[counts[(k >>> shift) & mask]!++] = k;
      }
    }
    [src, dst] = [dst, src];
  }
  if (src !== keys) keys.set(src);
  if (payload && psrc && psrc !== payload) payload.set(psrc);
}
