/**
 * The model package: `model.onnx` + `manifest.json` (the protocol's schema, pinning every file by sha256 and size) +
 * `signature.json` (Ed25519 over manifest.json's exact bytes), as a directory or a (gzipped) tarball.
 *
 * Verification order matters: the signature is checked over the raw manifest bytes before anything in them is
 * trusted, then the manifest is parsed, then every file is checked against it, and files it does not list are
 * refused, so what an agent loads is exactly what was signed.
 */
import type { KeyObject } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { parseManifest, serializeManifest, type Manifest } from '@linewatch/protocol';
import { PackageError } from './errors.js';
import { keyId, sha256Hex, signBytes, verifyBytes, SIGNATURE_SCHEME, type SignatureFile } from './keys.js';
import { checkRelativePath } from './paths.js';
import { isGzip, packTar, unpackTar, type TarEntry } from './tar.js';

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'signature.json';
export const MODEL_FILE = 'model.onnx';
/** Default ceiling for a whole package in memory: models here are tens of MB; refuse absurd inputs early. */
export const DEFAULT_MAX_PACKAGE_BYTES = 1024 ** 3;

export type ManifestDraft = Omit<Manifest, 'files' | 'signing'>;

export interface PackageFile {
  readonly path: string;
  readonly data: Uint8Array;
}

export interface VerifiedPackage {
  readonly manifest: Manifest;
  /** Every file the manifest lists, verified, by package path. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly keyId: string;
}

function manifestFromDraft(draft: ManifestDraft, files: readonly PackageFile[], signer: KeyObject): Manifest {
  return {
    ...draft,
    files: files.map((f) => ({ path: checkRelativePath(f.path), sha256: sha256Hex(f.data), bytes: f.data.length })),
    signing: { scheme: SIGNATURE_SCHEME, keyId: keyId(signer) },
  } as Manifest;
}

/** Builds the package's entries in memory: the files, manifest.json and signature.json. */
export function buildPackage(
  draft: ManifestDraft,
  files: readonly PackageFile[],
  privateKey: KeyObject,
  publicKey: KeyObject,
): PackageFile[] {
  const reserved = files.find((f) => f.path === MANIFEST_FILE || f.path === SIGNATURE_FILE);
  if (reserved) throw new PackageError('LW_PKG_UNSAFE_PATH', `${reserved.path} is reserved`, { path: reserved.path });
  const manifest = manifestFromDraft(draft, files, publicKey);
  const manifestBytes = new TextEncoder().encode(serializeManifest(manifest)); // validates against the schema
  const signature: SignatureFile = signBytes(manifestBytes, privateKey);
  return [
    ...files,
    { path: MANIFEST_FILE, data: manifestBytes },
    { path: SIGNATURE_FILE, data: new TextEncoder().encode(`${JSON.stringify(signature, null, 2)}\n`) },
  ];
}

/** Writes entries into `dir` atomically: a sibling temp dir, then one rename. `dir` must not exist yet. */
export function writePackageDir(dir: string, entries: readonly PackageFile[]): void {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    for (const e of entries) {
      const path = join(tmp, ...checkRelativePath(e.path).split('/'));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, e.data);
    }
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (err instanceof PackageError) throw err;
    throw new PackageError('LW_PKG_IO', `cannot write package to ${dir}`, { dir }, { cause: err });
  }
}

export function packPackage(entries: readonly PackageFile[], gzip = true): Uint8Array {
  return packTar(entries, { gzip });
}

function readDirEntries(dir: string, maxBytes: number): TarEntry[] {
  const out: TarEntry[] = [];
  let total = 0;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      const st = statSync(full, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) {
        total += st.size;
        if (total > maxBytes) throw new PackageError('LW_PKG_TOO_LARGE', `package ${dir} exceeds ${maxBytes} bytes`);
        const buf = readFileSync(full);
        out.push({
          path: checkRelativePath(relative(dir, full).split(sep).join('/')),
          data: new Uint8Array(buf.buffer, buf.byteOffset, buf.length),
        });
      } else throw new PackageError('LW_PKG_UNSAFE_PATH', `${full} is not a regular file`, { path: full });
    }
  };
  walk(dir);
  return out;
}

/** Reads a package directory, a .tar/.tar.gz file, or tarball bytes into entries (nothing verified yet). */
export function readPackage(source: string | Uint8Array, maxBytes = DEFAULT_MAX_PACKAGE_BYTES): TarEntry[] {
  if (typeof source !== 'string') return unpackTar(source, { maxBytes });
  const st = statSync(source, { throwIfNoEntry: false });
  if (!st) throw new PackageError('LW_PKG_IO', `no package at ${source}`, { path: source });
  if (st.isDirectory()) return readDirEntries(source, maxBytes);
  if (st.size > maxBytes) throw new PackageError('LW_PKG_TOO_LARGE', `${source} is ${st.size} bytes`, { path: source });
  const buf = readFileSync(source);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  if (!isGzip(bytes) && bytes.length < 512) throw new PackageError('LW_PKG_TAR_INVALID', `${source} is not a tarball`);
  return unpackTar(bytes, { maxBytes });
}

function parseSignature(bytes: Uint8Array | undefined): SignatureFile {
  if (!bytes) throw new PackageError('LW_PKG_UNSIGNED', `the package has no ${SIGNATURE_FILE}`);
  let sig: unknown;
  try {
    sig = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new PackageError('LW_PKG_BAD_SIGNATURE', `${SIGNATURE_FILE} is not valid JSON`, {}, { cause: err });
  }
  const s = sig as Partial<SignatureFile>;
  if (s?.scheme !== SIGNATURE_SCHEME || typeof s.signature !== 'string' || typeof s.keyId !== 'string') {
    throw new PackageError('LW_PKG_BAD_SIGNATURE', `${SIGNATURE_FILE} is not an ${SIGNATURE_SCHEME} signature`);
  }
  return s as SignatureFile;
}

export function verifyEntries(entries: readonly TarEntry[], trustedKeys: readonly KeyObject[]): VerifiedPackage {
  const byPath = new Map(entries.map((e) => [e.path, e.data]));
  const manifestBytes = byPath.get(MANIFEST_FILE);
  if (!manifestBytes) throw new PackageError('LW_PKG_MANIFEST_INVALID', `the package has no ${MANIFEST_FILE}`);
  const signature = parseSignature(byPath.get(SIGNATURE_FILE));
  if (!verifyBytes(manifestBytes, signature, trustedKeys)) {
    throw new PackageError(
      'LW_PKG_BAD_SIGNATURE',
      `signature by key ${signature.keyId} does not verify with a trusted key`,
      {
        keyId: signature.keyId,
      },
    );
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(manifestBytes);
  } catch (err) {
    throw new PackageError(
      'LW_PKG_MANIFEST_INVALID',
      err instanceof Error ? err.message : String(err),
      {},
      { cause: err },
    );
  }
  const files = new Map<string, Uint8Array>();
  for (const f of manifest.files) {
    const data = byPath.get(f.path);
    if (!data) throw new PackageError('LW_PKG_FILE_MISSING', `${f.path} is listed but missing`, { path: f.path });
    if (data.length !== f.bytes) {
      throw new PackageError('LW_PKG_SIZE_MISMATCH', `${f.path} is ${data.length} bytes, manifest says ${f.bytes}`, {
        path: f.path,
        bytes: data.length,
        expected: f.bytes,
      });
    }
    if (sha256Hex(data) !== f.sha256) {
      throw new PackageError('LW_PKG_DIGEST_MISMATCH', `${f.path} does not match its sha256`, { path: f.path });
    }
    files.set(f.path, data);
  }
  for (const path of byPath.keys()) {
    if (path !== MANIFEST_FILE && path !== SIGNATURE_FILE && !files.has(path)) {
      throw new PackageError('LW_PKG_FILE_UNLISTED', `${path} is not listed in the manifest`, { path });
    }
  }
  return { manifest, files, keyId: signature.keyId };
}

/** Reads and verifies a package directory, tarball file or tarball bytes. */
export function verifyPackage(
  source: string | Uint8Array,
  trustedKeys: readonly KeyObject[],
  maxBytes?: number,
): VerifiedPackage {
  return verifyEntries(readPackage(source, maxBytes), trustedKeys);
}
