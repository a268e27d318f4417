/**
 * Minimal ustar reader/writer for model packages (regular files and directories only).
 *
 * Packages are a handful of files, so a small, strict implementation beats a dependency: anything unexpected —
 * links, devices, bad checksums, truncation, unsafe paths, oversize entries — is a coded error rather than a silently
 * extracted surprise. Optional gzip via node:zlib.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { PackageError } from './errors.js';
import { checkRelativePath } from './paths.js';

const BLOCK = 512;

export interface TarEntry {
  readonly path: string;
  readonly data: Uint8Array;
}

function writeString(buf: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new PackageError('LW_PKG_UNSAFE_PATH', `name too long for tar: ${value}`);
  buf.set(bytes, offset);
}

function writeOctal(buf: Uint8Array, offset: number, length: number, value: number): void {
  writeString(buf, offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
}

function header(path: string, size: number, mtime: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  writeString(h, 0, 100, path);
  writeOctal(h, 100, 8, 0o644);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, mtime);
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  h[156] = 0x30; // '0' regular file
  writeString(h, 257, 6, 'ustar\0');
  writeString(h, 263, 2, '00');
  const sum = h.reduce((a, b) => a + b, 0);
  writeString(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

export function packTar(entries: readonly TarEntry[], options: { gzip?: boolean; mtime?: number } = {}): Uint8Array {
  const mtime = options.mtime ?? 0; // fixed by default so identical packages give identical bytes
  const parts: Uint8Array[] = [];
  for (const e of [...entries].sort((a, b) => a.path.localeCompare(b.path))) {
    checkRelativePath(e.path);
    parts.push(header(e.path, e.data.length, mtime), e.data);
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  const tar = new Uint8Array(Buffer.concat(parts));
  return options.gzip ? new Uint8Array(gzipSync(tar)) : tar;
}

function readString(buf: Uint8Array, offset: number, length: number): string {
  const slice = buf.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return Buffer.from(end >= 0 ? slice.subarray(0, end) : slice).toString('utf8');
}

function readOctal(buf: Uint8Array, offset: number, length: number): number {
  const text = readString(buf, offset, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new PackageError('LW_PKG_TAR_INVALID', 'bad octal field in tar header');
  return text.length ? parseInt(text, 8) : 0;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function unpackTar(bytes: Uint8Array, limits: { maxBytes: number } = { maxBytes: 2 * 1024 ** 3 }): TarEntry[] {
  let tar = bytes;
  if (isGzip(bytes)) {
    try {
      tar = new Uint8Array(gunzipSync(bytes, { maxOutputLength: limits.maxBytes }));
    } catch (err) {
      throw new PackageError(
        'LW_PKG_TAR_INVALID',
        'gzip stream is corrupt, truncated or too large',
        {},
        { cause: err },
      );
    }
  }
  const entries: TarEntry[] = [];
  let offset = 0;
  let sawEnd = false;
  while (offset + BLOCK <= tar.length) {
    const h = tar.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) {
      sawEnd = true;
      break;
    }
    const stored = readOctal(h, 148, 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
    if (sum !== stored) throw new PackageError('LW_PKG_TAR_INVALID', `tar header checksum mismatch at byte ${offset}`);
    const prefix = readString(h, 345, 155);
    const name = readString(h, 0, 100);
    const path = prefix ? `${prefix}/${name}` : name;
    const size = readOctal(h, 124, 12);
    const type = String.fromCharCode(h[156] ?? 0);
    offset += BLOCK;
    if (type === '5') continue; // directory
    if (type !== '0' && type !== '\0') {
      throw new PackageError('LW_PKG_UNSAFE_PATH', `tar entry "${path}" is not a regular file (type ${type})`, {
        path,
      });
    }
    checkRelativePath(path.replace(/^\.\//, ''));
    if (size > limits.maxBytes) throw new PackageError('LW_PKG_TOO_LARGE', `tar entry "${path}" is ${size} bytes`);
    if (offset + size > tar.length) throw new PackageError('LW_PKG_TAR_INVALID', `tar entry "${path}" is truncated`);
    entries.push({ path: path.replace(/^\.\//, ''), data: tar.slice(offset, offset + size) });
    offset += Math.ceil(size / BLOCK) * BLOCK;
  }
  if (!sawEnd) throw new PackageError('LW_PKG_TAR_INVALID', 'tar archive has no end marker (truncated)');
  return entries;
}
