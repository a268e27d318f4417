/**
 * COCO run-length encoding of binary masks, as pycocotools writes it: column-major (Fortran) order, runs alternate
 * starting with background (a mask starting with foreground has a first run of 0), and the counts compressed to the
 * LEB128-like string of `rleToString` (5 bits per char, offset 48, counts after the second stored as differences to
 * the count two before). Pure arithmetic on doubles, so counts beyond 2^31 cannot wrap.
 */
import type { BinaryMask } from '@linewatch/vision';

export interface Rle {
  /** [height, width], COCO's order. */
  size: [number, number];
  counts: string;
}

/** Run lengths of the mask in column-major order, first run background. */
export function runLengths(mask: BinaryMask): number[] {
  const { width: w, height: h, data } = mask;
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      const v = data[y * w + x] ? 1 : 0;
      if (v !== current) {
        counts.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

export function countsToString(counts: readonly number[]): string {
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    let more = true;
    while (more) {
      let c = ((x % 32) + 32) % 32;
      x = Math.floor(x / 32);
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

export function countsFromString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new RangeError('truncated RLE string');
      const c = s.charCodeAt(p) - 48;
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= 2 ** (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}

export function encodeRle(mask: BinaryMask): Rle {
  return { size: [mask.height, mask.width], counts: countsToString(runLengths(mask)) };
}

/** RLE → row-major 0/1 mask; throws RangeError when the runs do not cover exactly height × width pixels. */
export function decodeRle(rle: Rle): BinaryMask {
  const [h, w] = rle.size;
  const counts = countsFromString(rle.counts);
  const data = new Uint8Array(w * h);
  let i = 0;
  for (const [n, run] of counts.entries()) {
    if (i + run > w * h) throw new RangeError('RLE runs exceed the mask size');
    if (n % 2 === 1) for (let j = i; j < i + run; j++) data[(j % h) * w + Math.floor(j / h)] = 1;
    i += run;
  }
  if (i !== w * h) throw new RangeError(`RLE runs cover ${i} of ${w * h} pixels`);
  return { width: w, height: h, data };
}

/** Foreground pixel count and [x, y, width, height] bounding box (COCO's bbox), zeros for an empty mask. */
export function areaAndBox(mask: BinaryMask): { area: number; bbox: [number, number, number, number] } {
  let area = 0;
  let x0 = mask.width;
  let y0 = mask.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (!mask.data[y * mask.width + x]) continue;
      area++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return area === 0 ? { area, bbox: [0, 0, 0, 0] } : { area, bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1] };
}
