/**
 * The S3 client and object keys of the S3 blob store. Keys use the disk store's fan-out
 * (`<prefix>blobs/ab/cd/<sha256>`), so a bucket synced from a disk store's data dir (or back) lines up key for key.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.js';
import { assertRef } from './file-store.js';

export type S3FilesConfig = Config['files']['s3'];

/** files.s3 with the bucket known to be set (the config rules require it for files.kind s3). */
export type S3StoreConfig = Omit<S3FilesConfig, 'bucket'> & { bucket: string };

export function s3Client(c: S3StoreConfig): S3Client {
  return new S3Client({
    region: c.region,
    forcePathStyle: c.forcePathStyle,
    ...(c.endpoint !== null && { endpoint: c.endpoint }),
    // Null keys: the SDK's default chain (AWS_* env, shared profile, container/instance role) finds them.
    ...(c.accessKeyId !== null &&
      c.secretAccessKey !== null && {
        credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
      }),
    // SDK checksums only where S3 requires them: MinIO, Ceph RGW and s3rver releases that predate the
    // flexible-checksum headers reject or mangle them. Content integrity is the sha256 of the key, checked on get.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
}

export function objectKey(prefix: string, ref: string): string {
  assertRef(ref);
  return `${prefix}blobs/${ref.slice(0, 2)}/${ref.slice(2, 4)}/${ref}`;
}

/** Where the store points, for error messages an operator can act on. */
export function describeTarget(c: S3StoreConfig): string {
  return `bucket ${c.bucket} at ${c.endpoint ?? `AWS S3 (${c.region})`}`;
}
