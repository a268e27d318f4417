/**
 * Multipart upload for blobs above the threshold (model packages): Create, one UploadPart per `partSize` slice
 * (S3 wants ≥ 5 MiB for every part but the last), Complete with the parts in order. Any failure aborts the upload,
 * so the bucket keeps no invisible, billed part data behind.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

export interface MultipartTarget {
  client: S3Client;
  bucket: string;
  key: string;
}

/** Parts uploaded at once: enough to fill a link, few enough to keep memory and sockets bounded. */
const PARALLEL_PARTS = 4;

export async function multipartUpload(t: MultipartTarget, bytes: Uint8Array, partSize: number): Promise<void> {
  const created = await t.client.send(
    new CreateMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, ContentType: 'application/octet-stream' }),
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new Error(`S3 returned no UploadId for ${t.key}`);
  try {
    const parts = await uploadParts(t, uploadId, bytes, partSize);
    await t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: t.bucket,
        Key: t.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (e) {
    // Best effort: the original failure is what the caller needs to see.
    await t.client
      .send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId }))
      .catch(() => undefined);
    throw e;
  }
}

async function uploadParts(
  t: MultipartTarget,
  uploadId: string,
  bytes: Uint8Array,
  partSize: number,
): Promise<CompletedPart[]> {
  const count = Math.ceil(bytes.length / partSize);
  const parts: CompletedPart[] = new Array<CompletedPart>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const body = bytes.subarray(i * partSize, Math.min(bytes.length, (i + 1) * partSize));
      const res = await t.client.send(
        new UploadPartCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId, PartNumber: i + 1, Body: body }),
      );
      if (res.ETag === undefined) throw new Error(`S3 returned no ETag for part ${i + 1} of ${t.key}`);
      parts[i] = { PartNumber: i + 1, ETag: res.ETag };
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
  return parts;
}
