/**
 * FileStore on an S3-compatible bucket (AWS S3, MinIO, Ceph RGW), so several controller replicas share one blob
 * store. Same contract as the disk store: content-addressed keys generated from a validated sha256 reference,
 * idempotent put (a HEAD first only for multipart-sized blobs; concurrent or repeated puts of the same content
 * write identical bytes to the same key), coded errors. Integrity: a full read is hashed and must equal its
 * reference (LW_CTRL_BLOB_CORRUPT) — checked here rather than with S3's ChecksumSHA256 header because every S3
 * implementation serves plain GETs while not all of them (older Ceph RGW, MinIO) understand the flexible-checksum
 * headers, and a check on read also catches corruption at rest. Ranged reads cannot be checked piecewise; agents verify the whole package's sha256.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ctrlError, isControllerError } from '../errors.js';
import { assertRange, refOf, type FileStore } from './file-store.js';
import { describeTarget, objectKey, s3Client, type S3StoreConfig } from './s3-config.js';
import { multipartUpload } from './s3-multipart.js';

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const isMissing = (e: unknown): boolean => {
  const err = e as SdkError;
  return err.name !== 'NoSuchBucket' && (err.$metadata?.httpStatusCode === 404 || err.name === 'NoSuchKey');
};

export class S3FileStore implements FileStore {
  readonly client: S3Client;

  constructor(
    private readonly config: S3StoreConfig,
    client?: S3Client,
  ) {
    this.client = client ?? s3Client(config);
  }

  private key(ref: string): string {
    return objectKey(this.config.prefix, ref);
  }

  /** Anything but "no such object" means the store itself failed: say which bucket, keep the SDK error as cause. */
  private unavailable(op: string, e: unknown): Error {
    if (isControllerError(e)) return e;
    const status = (e as SdkError).$metadata?.httpStatusCode;
    const msg = `${(e as SdkError).message ?? String(e)}${status === undefined ? '' : ` (HTTP ${status})`}`;
    return ctrlError('LW_CTRL_BLOB_STORE_UNAVAILABLE', `S3 ${op} failed on ${describeTarget(this.config)}: ${msg}`, {
      cause: e,
    });
  }

  async put(bytes: Uint8Array): Promise<string> {
    const ref = refOf(bytes);
    const key = this.key(ref);
    const { bucket, multipartThresholdBytes, partSizeBytes } = this.config;
    const multipart = bytes.length > multipartThresholdBytes;
    // A HEAD first only where it can save an upload worth a round trip: re-putting a small blob writes identical
    // bytes to the same key (idempotent), and the extra HEAD per event blob was most of ingest's S3 time.
    if (multipart && (await this.has(ref))) return ref;
    try {
      if (multipart) {
        await multipartUpload({ client: this.client, bucket, key }, bytes, partSizeBytes);
      } else {
        await this.client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: 'application/octet-stream' }),
        );
      }
    } catch (e) {
      throw this.unavailable('put', e);
    }
    return ref;
  }

  private async read(ref: string, range?: string): Promise<{ bytes: Buffer; contentRange: string | undefined }> {
    const Key = this.key(ref);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key, Range: range }));
      if (!res.Body) throw new Error(`no body for ${Key}`);
      const arr = await res.Body.transformToByteArray();
      return { bytes: Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength), contentRange: res.ContentRange };
    } catch (e) {
      if (isMissing(e)) throw ctrlError('LW_CTRL_BLOB_NOT_FOUND');
      if ((e as SdkError).$metadata?.httpStatusCode === 416)
        throw ctrlError('LW_CTRL_RANGE_NOT_SATISFIABLE', `range ${range} starts past the end of the blob`);
      throw this.unavailable('get', e);
    }
  }

  async get(ref: string): Promise<Buffer> {
    const { bytes } = await this.read(ref);
    if (refOf(bytes) !== ref) {
      throw ctrlError('LW_CTRL_BLOB_CORRUPT', `${this.key(ref)} in ${describeTarget(this.config)} has other content`);
    }
    return bytes;
  }

  async getRange(ref: string, start: number, endInclusive: number): Promise<Buffer> {
    this.key(ref); // validates the reference before the range, like the other stores
    assertRange(start, endInclusive, Number.MAX_SAFE_INTEGER);
    const { bytes, contentRange } = await this.read(ref, `bytes=${start}-${endInclusive}`);
    // What the server sent: `bytes a-b/total`, or no header for a whole-object 200 (a server ignoring Range).
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange ?? '');
    const [first, total] = m ? [Number(m[1]), Number(m[3])] : [0, bytes.length];
    // S3 clamps an end past the blob to its last byte; the FileStore contract refuses such a range instead.
    assertRange(start, endInclusive, total);
    // Some servers widen a range (s3rver answers bytes=0-0 with the whole object): cut out what was asked.
    const out = bytes.subarray(start - first, endInclusive - first + 1);
    if (first > start || out.length !== endInclusive - start + 1) {
      throw this.unavailable('ranged get', new Error(`asked bytes ${start}-${endInclusive}, got ${contentRange}`));
    }
    return out;
  }

  private async head(ref: string): Promise<number | null> {
    const Key = this.key(ref);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key }));
      return res.ContentLength ?? 0;
    } catch (e) {
      if (isMissing(e)) return null;
      throw this.unavailable('head', e);
    }
  }

  async has(ref: string): Promise<boolean> {
    return (await this.head(ref)) !== null;
  }

  async size(ref: string): Promise<number> {
    const n = await this.head(ref);
    if (n === null) throw ctrlError('LW_CTRL_BLOB_NOT_FOUND');
    return n;
  }

  async delete(ref: string): Promise<void> {
    const Key = this.key(ref);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key }));
    } catch (e) {
      if (!isMissing(e)) throw this.unavailable('delete', e);
    }
  }

  /** HeadBucket: reachable, credentials accepted, bucket present — without writing anything. */
  async probe(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.config.bucket }));
    } catch (e) {
      const status = (e as SdkError).$metadata?.httpStatusCode;
      const why = status === 404 ? 'no such bucket' : status === 403 ? 'access denied' : (e as SdkError).message;
      throw ctrlError('LW_CTRL_BLOB_STORE_UNAVAILABLE', `S3 ${describeTarget(this.config)}: ${why}`, { cause: e });
    }
  }

  /** A GET URL for the blob, signed with this store's credentials, valid `ttlS` seconds (agents' package downloads). */
  presignGet(ref: string, ttlS: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(ref) }), {
      expiresIn: ttlS,
    });
  }

  close(): void {
    this.client.destroy();
  }
}
