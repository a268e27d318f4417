/**
 * Picks the blob store from `files.kind`: disk under dataDir (default) or an S3 bucket. With S3 and
 * `files.s3.presignDownloads`, model package links handed to agents are pre-signed S3 URLs (see packagePresigner).
 */
import type { Config } from '../config.js';
import { ctrlError } from '../errors.js';
import { DiskFileStore, type FileStore } from './file-store.js';
import { S3FileStore } from './s3-file-store.js';

export function createFileStore(config: Readonly<Config>): FileStore {
  if (config.files.kind === 'disk') return new DiskFileStore(config.dataDir);
  const { bucket } = config.files.s3;
  if (bucket === null) throw ctrlError('LW_CTRL_CONFIG_INVALID', 'files.s3.bucket is required for files.kind s3');
  return new S3FileStore({ ...config.files.s3, bucket });
}

/** Mints a package download URL straight from the bucket for a blob reference. */
export type PackagePresigner = (sha256: string) => Promise<string>;

/** The presigner when the store is S3 and presignDownloads is on; null = agents download through the controller. */
export function packagePresigner(config: Readonly<Config>, files: FileStore): PackagePresigner | null {
  if (config.files.kind !== 's3' || !config.files.s3.presignDownloads || !(files instanceof S3FileStore)) return null;
  const ttlS = config.files.s3.presignTtlS;
  return (sha256) => files.presignGet(sha256, ttlS);
}
