import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { isPackageError, PackageError } from '../src/errors.js';
import { generateSigningKeys, loadPrivateKey, loadPublicKey, signBytes, verifyBytes } from '../src/keys.js';
import { packTar, unpackTar } from '../src/tar.js';

test('tar round trip, plain and gzipped, is byte-deterministic', () => {
  const entries = [
    { path: 'model.onnx', data: new Uint8Array(1234).map((_, i) => i % 251) },
    { path: 'golden/frame-0.png', data: new Uint8Array([1, 2, 3]) },
    { path: 'empty.txt', data: new Uint8Array(0) },
  ];
  for (const gzip of [false, true]) {
    const bytes = packTar(entries, { gzip });
    assert.deepEqual(packTar(entries, { gzip }), bytes, 'same input gives same bytes');
    const back = unpackTar(bytes);
    assert.deepEqual(
      back.map((e) => e.path),
      ['empty.txt', 'golden/frame-0.png', 'model.onnx'],
    );
    for (const e of entries) assert.deepEqual(back.find((b) => b.path === e.path)?.data, e.data);
  }
});

test('truncated or corrupted tarballs are coded errors, never crashes', () => {
  const bytes = packTar([{ path: 'model.onnx', data: new Uint8Array(2000).fill(7) }]);
  assert.throws(
    () => unpackTar(bytes.subarray(0, 1500)),
    (e) => isPackageError(e, 'LW_PKG_TAR_INVALID'),
  );
  assert.throws(
    () => unpackTar(bytes.subarray(0, 2560)),
    (e) => isPackageError(e, 'LW_PKG_TAR_INVALID'),
  );
  const flipped = bytes.slice();
  flipped[10] = (flipped[10] ?? 0) ^ 0xff;
  assert.throws(
    () => unpackTar(flipped),
    (e) => isPackageError(e, 'LW_PKG_TAR_INVALID'),
  );
  const gz = packTar([{ path: 'a', data: new Uint8Array(100) }], { gzip: true });
  assert.throws(
    () => unpackTar(gz.subarray(0, gz.length - 8)),
    (e) => isPackageError(e, 'LW_PKG_TAR_INVALID'),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), (junk) => {
      try {
        unpackTar(junk);
      } catch (err) {
        if (!(err instanceof PackageError)) throw err;
      }
    }),
    { numRuns: 1000 },
  );
});

test('unsafe paths are refused when packing and unpacking', () => {
  for (const path of ['../evil', '/etc/passwd', 'a/../../b', 'a//b', '']) {
    assert.throws(
      () => packTar([{ path, data: new Uint8Array(1) }]),
      (e) => isPackageError(e, 'LW_PKG_UNSAFE_PATH'),
      path,
    );
  }
  // Hand-craft an archive whose entry is a symlink: it must not be accepted.
  const ok = packTar([{ path: 'link', data: new Uint8Array(0) }]);
  const h = ok.slice();
  h[156] = 0x32; // '2' symlink
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
  h.set(Buffer.from(sum.toString(8).padStart(6, '0') + '\0 '), 148);
  assert.throws(
    () => unpackTar(h),
    (e) => isPackageError(e, 'LW_PKG_UNSAFE_PATH'),
  );
});

test('ed25519 keys: sign, verify, wrong key, tampered bytes, bad key files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-keys-'));
  try {
    const a = generateSigningKeys(dir, 'a');
    const b = generateSigningKeys(dir, 'b');
    assert.notEqual(a.keyId, b.keyId);
    const bytes = new TextEncoder().encode('{"model":"x"}');
    const sig = signBytes(bytes, loadPrivateKey(a.privateKeyPath));
    assert.equal(sig.keyId, a.keyId);
    assert.equal(verifyBytes(bytes, sig, [loadPublicKey(a.publicKeyPath)]), true);
    assert.equal(verifyBytes(bytes, sig, [loadPublicKey(b.publicKeyPath)]), false);
    assert.equal(verifyBytes(bytes, sig, [loadPublicKey(b.publicKeyPath), loadPublicKey(a.publicKeyPath)]), true);
    const tampered = bytes.slice();
    tampered[3] = 0x41;
    assert.equal(verifyBytes(tampered, sig, [loadPublicKey(a.publicKeyPath)]), false);
    writeFileSync(join(dir, 'junk.pem'), 'not a key');
    assert.throws(
      () => loadPublicKey(join(dir, 'junk.pem')),
      (e) => isPackageError(e, 'LW_PKG_KEY_INVALID'),
    );
    assert.throws(
      () => loadPrivateKey(join(dir, 'missing.pem')),
      (e) => isPackageError(e, 'LW_PKG_KEY_INVALID'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
