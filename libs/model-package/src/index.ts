export { PACKAGE_ERRORS, PackageError, isPackageError, type PackageErrorCode } from './errors.js';
export {
  generateSigningKeys,
  keyId,
  loadPrivateKey,
  loadPublicKey,
  sha256Hex,
  signBytes,
  verifyBytes,
  SIGNATURE_SCHEME,
  type SignatureFile,
} from './keys.js';
export { checkRelativePath } from './paths.js';
export { isGzip, packTar, unpackTar, type TarEntry } from './tar.js';
export {
  buildPackage,
  packPackage,
  readPackage,
  verifyEntries,
  verifyPackage,
  writePackageDir,
  DEFAULT_MAX_PACKAGE_BYTES,
  MANIFEST_FILE,
  MODEL_FILE,
  SIGNATURE_FILE,
  type ManifestDraft,
  type PackageFile,
  type VerifiedPackage,
} from './package.js';
