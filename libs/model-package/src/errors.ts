/** The model-package lib's error catalogue. */
export const PACKAGE_ERRORS = {
  LW_PKG_UNSIGNED: 'The package has no signature.',
  LW_PKG_BAD_SIGNATURE: 'The signature does not verify with any trusted key (wrong key, or the manifest was changed).',
  LW_PKG_DIGEST_MISMATCH: "A file's sha256 differs from the manifest (the file was changed).",
  LW_PKG_SIZE_MISMATCH: "A file's size differs from the manifest (truncated or padded).",
  LW_PKG_FILE_MISSING: 'A file listed in the manifest is missing.',
  LW_PKG_FILE_UNLISTED: 'The package holds a file the manifest does not list.',
  LW_PKG_MANIFEST_INVALID: 'manifest.json is not valid JSON or does not match the manifest schema.',
  LW_PKG_TAR_INVALID: 'The tarball is truncated, corrupt, or holds entries other than regular files.',
  LW_PKG_UNSAFE_PATH: 'A path escapes the package (absolute, "..", or a link).',
  LW_PKG_TOO_LARGE: 'The package or one of its files exceeds the size limit.',
  LW_PKG_KEY_INVALID: 'A key file is not an Ed25519 key in PEM form.',
  LW_PKG_IO: 'Reading or writing package files failed.',
} as const;

export type PackageErrorCode = keyof typeof PACKAGE_ERRORS;

export class PackageError extends Error {
  readonly code: PackageErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: PackageErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(`${code}: ${message}`, options);
    this.name = 'PackageError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

export function isPackageError(err: unknown, code?: PackageErrorCode): err is PackageError {
  return err instanceof PackageError && (code === undefined || err.code === code);
}
