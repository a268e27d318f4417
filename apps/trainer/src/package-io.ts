/**
 * Reading model packages for the CLI: full verification when trusted keys are given, otherwise a digest-only check
 * (every listed file's size and sha256, no unlisted files) so a corrupt copy is still caught — the output says which
 * of the two happened, because only the first proves who built the package.
 */
import type { KeyObject } from 'node:crypto';
import { parseManifest, type Manifest } from '@linewatch/protocol';
import {
  MANIFEST_FILE,
  PackageError,
  SIGNATURE_FILE,
  loadPublicKey,
  readPackage,
  sha256Hex,
  verifyEntries,
  type PackageFile,
} from '@linewatch/model-package';

export type Verification = 'signature' | 'digests';

export interface LoadedPackage {
  readonly manifest: Manifest;
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly verification: Verification;
  /** Signing key id: verified for 'signature', merely claimed by the manifest for 'digests'. */
  readonly keyId: string;
  readonly entries: readonly PackageFile[];
}

export function parseManifestEntry(entries: readonly PackageFile[]): Manifest {
  const bytes = entries.find((e) => e.path === MANIFEST_FILE)?.data;
  if (!bytes) throw new PackageError('LW_PKG_MANIFEST_INVALID', `the package has no ${MANIFEST_FILE}`);
  try {
    return parseManifest(bytes);
  } catch (err) {
    throw new PackageError(
      'LW_PKG_MANIFEST_INVALID',
      err instanceof Error ? err.message : String(err),
      {},
      { cause: err },
    );
  }
}

/** Same file checks as model-package's verifyEntries, minus the signature. */
export function checkDigests(entries: readonly PackageFile[]): { manifest: Manifest; files: Map<string, Uint8Array> } {
  const manifest = parseManifestEntry(entries);
  const byPath = new Map(entries.map((e) => [e.path, e.data]));
  const files = new Map<string, Uint8Array>();
  for (const f of manifest.files) {
    const data = byPath.get(f.path);
    if (!data) throw new PackageError('LW_PKG_FILE_MISSING', `${f.path} is listed but missing`, { path: f.path });
    if (data.length !== f.bytes) {
      throw new PackageError('LW_PKG_SIZE_MISMATCH', `${f.path} is ${data.length} bytes, manifest says ${f.bytes}`, {
        path: f.path,
      });
    }
    if (sha256Hex(data) !== f.sha256)
      throw new PackageError('LW_PKG_DIGEST_MISMATCH', `${f.path} does not match its sha256`, { path: f.path });
    files.set(f.path, data);
  }
  for (const path of byPath.keys()) {
    if (path !== MANIFEST_FILE && path !== SIGNATURE_FILE && !files.has(path)) {
      throw new PackageError('LW_PKG_FILE_UNLISTED', `${path} is not listed in the manifest`, { path });
    }
  }
  return { manifest, files };
}

export function loadKeys(paths: readonly string[]): KeyObject[] {
  return paths.map((p) => loadPublicKey(p));
}

/** Reads a package dir / .tar / .tar.gz; verifies the signature when keys are given, else only the digests. */
export function loadPackage(source: string | Uint8Array, trustedKeys: readonly KeyObject[]): LoadedPackage {
  const entries = readPackage(source);
  if (trustedKeys.length > 0) {
    const v = verifyEntries(entries, trustedKeys);
    return { manifest: v.manifest, files: v.files, verification: 'signature', keyId: v.keyId, entries };
  }
  const { manifest, files } = checkDigests(entries);
  return { manifest, files, verification: 'digests', keyId: manifest.signing.keyId, entries };
}

/** A few lines describing a package, for verify/sign/export/eval output. */
export function manifestSummary(m: Manifest, extra: Record<string, string> = {}): string {
  const bytes = m.files.reduce((a, f) => a + f.bytes, 0);
  const metrics = Object.entries(m.metrics)
    .map(([k, v]) => `${k}=${Number(v.toPrecision(4))}`)
    .join(' ');
  const rows: [string, string][] = [
    ['model', `${m.modelId} ${m.version} (build ${m.build})`],
    ['created', m.createdAt],
    ['backbone', `${m.backbone.id}${m.backbone.sha256 ? ` sha256:${m.backbone.sha256.slice(0, 12)}…` : ''}`],
    ['input', `${m.input.width}×${m.input.height}×${m.input.channels} ${m.normalization.channelOrder}`],
    ['preset', m.preset],
    [
      'threshold',
      `${m.threshold.value} (${m.threshold.method}${m.threshold.targetFpr !== undefined ? `, fpr ${m.threshold.targetFpr}` : ''})`,
    ],
    ['metrics', metrics || '-'],
    ['files', `${m.files.length} (${bytes} bytes)`],
    ['key id', m.signing.keyId],
    ...Object.entries(extra),
  ];
  return `${rows.map(([k, v]) => `${`${k}:`.padEnd(11)} ${v}`).join('\n')}\n`;
}
