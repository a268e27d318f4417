/**
 * One `bytes=` range (RFC 9110 §14.1.2): `a-b`, `a-` or `-n`. Multi-range requests are answered with the whole
 * body (allowed by the RFC) since the agent's resumable downloader only ever asks for `bytes=<have>-`.
 */
import { ctrlError } from '../errors.js';

export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number };

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'full' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) {
    if (/^bytes=.+,/.test(header.trim())) return { kind: 'full' };
    throw ctrlError('LW_CTRL_RANGE_NOT_SATISFIABLE', `malformed Range header`, { details: { size } });
  }
  const [, a, b] = m;
  let start: number;
  let end: number;
  if (a === '' && b === '') throw ctrlError('LW_CTRL_RANGE_NOT_SATISFIABLE', 'empty range', { details: { size } });
  if (a === '') {
    const n = Number(b);
    if (n === 0) throw ctrlError('LW_CTRL_RANGE_NOT_SATISFIABLE', 'zero-length suffix range', { details: { size } });
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start)
      throw ctrlError('LW_CTRL_RANGE_NOT_SATISFIABLE', 'range end before start', { details: { size } });
  }
  if (start >= size)
    throw ctrlError('LW_CTRL_RANGE_NOT_SATISFIABLE', `range starts at ${start}, package is ${size} bytes`, {
      details: { size },
    });
  return { kind: 'partial', start, end };
}
