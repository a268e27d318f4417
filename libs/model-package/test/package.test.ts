import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildPackage,
  isPackageError,
  packPackage,
  signBytes,
  verifyEntries,
  verifyPackage,
  writePackageDir,
  type ManifestDraft,
  type PackageErrorCode,
  type PackageFile,
} from '../src/index.js';

const draft: ManifestDraft = {
  schemaVersion: 1,
  modelId: 'tile-line-1',
  version: '1.2.0',
  build: 7,
  createdAt: '2026-11-28T12:00:00Z',
  backbone: { id: 'mobilenetv2-nsfwjs' },
  input: { width: 224, height: 224, channels: 3 },
  normalization: {
    mean: [127.5, 127.5, 127.5],
    std: [127.5, 127.5, 127.5],
    scale: 1,
    channelOrder: 'RGB',
    colour: 'rgb',
  },
  featureTaps: ['block_5_add', 'block_12_add'],
  tokenGrid: { rows: 14, cols: 14 },
  preset: 'cpu',
  metrics: { imageAuroc: 0.9 },
  threshold: { value: 1.5, method: 'quantile' },
  selfTest: { tolerance: 1e-3, frames: [{ path: 'golden/0.png', expectedScore: 1.25 }] },
};

function keys(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

const model = new Uint8Array(4096).map((_, i) => (i * 31) % 256);
const files: PackageFile[] = [
  { path: 'model.onnx', data: model },
  { path: 'golden/0.png', data: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) },
];

function expectCode(fn: () => unknown, code: PackageErrorCode): void {
  assert.throws(fn, (e) => isPackageError(e, code), `expected ${code}`);
}

test('a built package verifies from a directory and from a gzipped tarball', () => {
  const signer = keys();
  const entries = buildPackage(draft, files, signer.privateKey, signer.publicKey);
  const dir = mkdtempSync(join(tmpdir(), 'lw-pkg-'));
  try {
    const pkgDir = join(dir, 'pkg');
    writePackageDir(pkgDir, entries);
    const fromDir = verifyPackage(pkgDir, [signer.publicKey]);
    assert.equal(fromDir.manifest.version, '1.2.0');
    assert.equal(fromDir.manifest.files.length, 2);
    assert.deepEqual(fromDir.files.get('model.onnx'), model);
    const tarPath = join(dir, 'pkg.tar.gz');
    writeFileSync(tarPath, packPackage(entries));
    const fromTar = verifyPackage(tarPath, [keys().publicKey, signer.publicKey]);
    assert.equal(fromTar.keyId, fromDir.keyId);
    assert.equal(fromTar.manifest.signing.keyId, fromDir.keyId);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unsigned, wrong-key, tampered, truncated and padded packages are each rejected with their code', () => {
  const signer = keys();
  const trusted = [signer.publicKey];
  const entries = buildPackage(draft, files, signer.privateKey, signer.publicKey);
  const swap = (path: string, data: Uint8Array | undefined) =>
    entries.flatMap((e) => (e.path === path ? (data ? [{ path, data }] : []) : [e]));

  expectCode(() => verifyEntries(swap('signature.json', undefined), trusted), 'LW_PKG_UNSIGNED');
  expectCode(() => verifyEntries(entries, [keys().publicKey]), 'LW_PKG_BAD_SIGNATURE');
  const flipped = model.slice();
  flipped[100] = (flipped[100] ?? 0) ^ 1;
  expectCode(() => verifyEntries(swap('model.onnx', flipped), trusted), 'LW_PKG_DIGEST_MISMATCH');
  expectCode(() => verifyEntries(swap('model.onnx', model.subarray(0, 4000)), trusted), 'LW_PKG_SIZE_MISMATCH');
  expectCode(() => verifyEntries(swap('golden/0.png', undefined), trusted), 'LW_PKG_FILE_MISSING');
  expectCode(
    () => verifyEntries([...entries, { path: 'extra.bin', data: new Uint8Array(1) }], trusted),
    'LW_PKG_FILE_UNLISTED',
  );
  const manifest = entries.find((e) => e.path === 'manifest.json')!.data;
  const edited = new TextEncoder().encode(new TextDecoder().decode(manifest).replace('"1.2.0"', '"9.9.9"'));
  expectCode(() => verifyEntries(swap('manifest.json', edited), trusted), 'LW_PKG_BAD_SIGNATURE');
  expectCode(
    () => verifyEntries(swap('signature.json', new TextEncoder().encode('{nope')), trusted),
    'LW_PKG_BAD_SIGNATURE',
  );
  const tar = packPackage(entries);
  expectCode(() => verifyPackage(tar.subarray(0, Math.floor(tar.length / 2)), trusted), 'LW_PKG_TAR_INVALID');
  const plain = packPackage(entries, false);
  expectCode(() => verifyPackage(plain.subarray(0, 3000), trusted), 'LW_PKG_TAR_INVALID');
});

test('a correctly signed manifest that breaks the schema is still refused', () => {
  const signer = keys();
  const entries = buildPackage(draft, files, signer.privateKey, signer.publicKey);
  const manifest = JSON.parse(new TextDecoder().decode(entries.find((e) => e.path === 'manifest.json')!.data));
  manifest.input.channels = 7;
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  const sig = new TextEncoder().encode(JSON.stringify(signBytes(bytes, signer.privateKey)));
  const forged = entries.map((e) =>
    e.path === 'manifest.json'
      ? { path: e.path, data: bytes }
      : e.path === 'signature.json'
        ? { path: e.path, data: sig }
        : e,
  );
  expectCode(() => verifyEntries(forged, [signer.publicKey]), 'LW_PKG_MANIFEST_INVALID');
});

test('writing a package is atomic and refuses reserved or unsafe names', () => {
  const signer = keys();
  expectCode(
    () =>
      buildPackage(
        draft,
        [...files, { path: 'manifest.json', data: new Uint8Array(1) }],
        signer.privateKey,
        signer.publicKey,
      ),
    'LW_PKG_UNSAFE_PATH',
  );
  expectCode(
    () =>
      buildPackage(draft, [...files, { path: '../x', data: new Uint8Array(1) }], signer.privateKey, signer.publicKey),
    'LW_PKG_UNSAFE_PATH',
  );
  const dir = mkdtempSync(join(tmpdir(), 'lw-pkg-'));
  try {
    const entries = buildPackage(draft, files, signer.privateKey, signer.publicKey);
    writePackageDir(join(dir, 'p'), entries);
    assert.ok(readFileSync(join(dir, 'p', 'manifest.json'), 'utf8').includes('"tile-line-1"'));
    expectCode(() => writePackageDir(join(dir, 'p'), entries), 'LW_PKG_IO'); // target exists: no partial overwrite
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
