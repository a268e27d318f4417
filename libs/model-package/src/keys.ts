/** Ed25519 signing keys as PEM files (node:crypto), and the signature over a manifest's exact bytes. */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PackageError } from './errors.js';

export const SIGNATURE_SCHEME = 'ed25519' as const;

export interface SignatureFile {
  readonly scheme: typeof SIGNATURE_SCHEME;
  /** First 16 hex digits of sha256 over the public key's SPKI DER: says which trusted key should verify. */
  readonly keyId: string;
  /** Base64 Ed25519 signature over the bytes of manifest.json exactly as stored. */
  readonly signature: string;
}

export function keyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

function checkEd25519(key: KeyObject, path: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new PackageError(
      'LW_PKG_KEY_INVALID',
      `${path} is a ${key.asymmetricKeyType ?? 'unknown'} key, not ed25519`,
      { path },
    );
  }
  return key;
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new PackageError('LW_PKG_KEY_INVALID', `cannot read key file ${path}`, { path }, { cause: err });
  }
}

export function loadPrivateKey(path: string): KeyObject {
  try {
    return checkEd25519(createPrivateKey(readKeyFile(path)), path);
  } catch (err) {
    if (err instanceof PackageError) throw err;
    throw new PackageError('LW_PKG_KEY_INVALID', `${path} is not a PEM private key`, { path }, { cause: err });
  }
}

export function loadPublicKey(pathOrPem: string): KeyObject {
  const pem = pathOrPem.includes('-----BEGIN') ? pathOrPem : readKeyFile(pathOrPem);
  try {
    return checkEd25519(createPublicKey(pem), pathOrPem.includes('-----BEGIN') ? '<pem>' : pathOrPem);
  } catch (err) {
    if (err instanceof PackageError) throw err;
    throw new PackageError(
      'LW_PKG_KEY_INVALID',
      'not a PEM public key',
      { path: pathOrPem.slice(0, 200) },
      { cause: err },
    );
  }
}

/** Writes `<dir>/<name>.pem` (private, mode 0600) and `<dir>/<name>.pub.pem`; returns both paths and the key id. */
export function generateSigningKeys(
  dir: string,
  name = 'signing-key',
): { privateKeyPath: string; publicKeyPath: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  mkdirSync(dir, { recursive: true });
  const privateKeyPath = join(dir, `${name}.pem`);
  const publicKeyPath = join(dir, `${name}.pub.pem`);
  writeFileSync(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKeyPath, publicKeyPath, keyId: keyId(publicKey) };
}

export function signBytes(bytes: Uint8Array, privateKey: KeyObject): SignatureFile {
  const publicKey = createPublicKey(privateKey);
  return {
    scheme: SIGNATURE_SCHEME,
    keyId: keyId(publicKey),
    signature: sign(null, bytes, privateKey).toString('base64'),
  };
}

/** True when any trusted key verifies the signature (the key whose id matches is tried first). */
export function verifyBytes(bytes: Uint8Array, sig: SignatureFile, trusted: readonly KeyObject[]): boolean {
  const ordered = [...trusted].sort((a, b) => Number(keyId(b) === sig.keyId) - Number(keyId(a) === sig.keyId));
  const signature = Buffer.from(sig.signature, 'base64');
  return ordered.some((k) => {
    try {
      return verify(null, bytes, k, signature);
    } catch {
      return false;
    }
  });
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
