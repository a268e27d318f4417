/**
 * One FileStore conformance suite over memory, disk and S3 (s3rver on loopback), plus what only one backend has:
 * disk leaves no temp files; S3 uploads packages in parts (seen by the server), aborts a failed multipart upload,
 * detects changed content on read, and its probe names the bucket when it is missing or the server is down.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { isControllerError } from '../src/errors.js';
import { DiskFileStore, MemoryFileStore, refOf } from '../src/files/file-store.js';
import { S3FileStore } from '../src/files/s3-file-store.js';
import { objectKey } from '../src/files/s3-config.js';
import { fileStoreConformance } from './helpers/file-store-suite.js';
import { startS3 } from './helpers/s3.js';

const MiB = 1024 * 1024;
/** The smallest legal part size, so the big blob goes up in 3 parts without a big test. */
const s3 = await startS3({ config: { multipartThresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } });
const dir = mkdtempSync(join(tmpdir(), 'lw-files-'));
const stores: S3FileStore[] = [];
after(async () => {
  for (const s of stores) s.close();
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
/** A fresh store per test: its own prefix in the shared bucket. */
function s3Store(extra: Partial<typeof s3.config> = {}): S3FileStore {
  const store = new S3FileStore({ ...s3.config, prefix: `t${++n}/`, ...extra });
  stores.push(store);
  return store;
}

const opts = { bigBytes: 11 * MiB, emptyBlobRange: true };
fileStoreConformance('memory', () => new MemoryFileStore(), opts);
fileStoreConformance('disk', () => new DiskFileStore(join(dir, `root${++n}`)), opts);
// s3rver's bug with ranges of empty objects would reset the connection; the memory and disk runs cover the rule.
fileStoreConformance('s3', () => s3Store(), { ...opts, emptyBlobRange: false });

function allFiles(d: string): string[] {
  return readdirSync(d, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

test('disk file store: path is generated from the hash and no temp files remain', async () => {
  const root = join(dir, 'fanout');
  const fs = new DiskFileStore(root);
  const refs = await Promise.all(Array.from({ length: 5 }, () => fs.put(Buffer.from('same'))));
  assert.equal(new Set(refs).size, 1);
  const ref = refs[0]!;
  assert.deepEqual(allFiles(root), [join(root, 'blobs', ref.slice(0, 2), ref.slice(2, 4), ref)]);
});

test('s3 file store: a blob above the threshold goes up in parts (HEAD first), a small one in one PUT, keys fan out', async () => {
  const store = s3Store({ prefix: 'multi/' });
  const bigBlob = Buffer.alloc(11 * MiB, 3);
  const before = s3.requests.length;
  const ref = await store.put(bigBlob);
  const seen = s3.requests.slice(before);
  const key = `/${s3.bucket}/multi/blobs/${ref.slice(0, 2)}/${ref.slice(2, 4)}/${ref}`;
  const parts = seen.filter((r) => r.startsWith(`PUT ${key}?`) && r.includes('partNumber='));
  assert.equal(parts.length, 3, seen.join('\n'));
  assert.ok(
    seen.some((r) => r.startsWith(`POST ${key}?uploads`)),
    'CreateMultipartUpload',
  );
  assert.ok(
    seen.some((r) => r.startsWith(`POST ${key}?uploadId=`)),
    'CompleteMultipartUpload',
  );
  const smallBlob = Buffer.alloc(5 * MiB, 4); // at the threshold: one PUT, no HEAD before it
  const onePut = [`PUT /${s3.bucket}/${objectKey('multi/', refOf(smallBlob))}?x-id=PutObject`];
  const at = s3.requests.length;
  await store.put(smallBlob);
  assert.deepEqual(s3.requests.slice(at), onePut);
  const smallAgain = s3.requests.length;
  await store.put(smallBlob);
  assert.deepEqual(s3.requests.slice(smallAgain), onePut, 'a small blob is re-put (same bytes), not HEADed first');
  assert.deepEqual(await store.get(refOf(smallBlob)), smallBlob);
  const again = s3.requests.length;
  assert.equal(await store.put(bigBlob), ref);
  assert.deepEqual(
    s3.requests.slice(again).map((r) => r.split(' ')[0]),
    ['HEAD'],
    'an idempotent multipart-sized put is one HEAD',
  );
});

test('s3 file store: a failing part aborts the multipart upload and reports a coded error', async () => {
  const store = s3Store({ prefix: 'abort/' });
  let partCalls = 0;
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UploadPartCommand' && ++partCalls === 2) throw new Error('injected part failure');
      return next(args);
    },
    { step: 'initialize', name: 'failSecondPart' },
  );
  const bytes = Buffer.alloc(11 * MiB, 9);
  const before = s3.requests.length;
  await assert.rejects(store.put(bytes), (e) => {
    assert.ok(isControllerError(e, 'LW_CTRL_BLOB_STORE_UNAVAILABLE'));
    assert.match(e.message, new RegExp(`bucket ${s3.bucket} at ${s3.endpoint}.*injected part failure`));
    return true;
  });
  assert.ok(
    s3.requests.slice(before).some((r) => r.startsWith('DELETE ') && r.includes('uploadId=')),
    'AbortMultipartUpload was sent',
  );
  assert.equal(await store.has(refOf(bytes)), false);
});

test('s3 file store: content changed in the bucket is LW_CTRL_BLOB_CORRUPT on read', async () => {
  const store = s3Store({ prefix: 'corrupt/' });
  const ref = await store.put(Buffer.from('original frame'));
  await store.client.send(
    new PutObjectCommand({ Bucket: s3.bucket, Key: objectKey('corrupt/', ref), Body: Buffer.from('tampered') }),
  );
  await assert.rejects(store.get(ref), (e) => isControllerError(e, 'LW_CTRL_BLOB_CORRUPT'));
});

test('s3 file store: probe names the bucket when it is missing, the key is refused, or the server is down', async () => {
  await assert.rejects(s3Store({ bucket: 'no-such-bucket' }).probe(), (e) => {
    assert.ok(isControllerError(e, 'LW_CTRL_BLOB_STORE_UNAVAILABLE'));
    assert.match(e.message, /bucket no-such-bucket at http:\/\/127\.0\.0\.1:\d+: no such bucket/);
    return true;
  });
  await assert.rejects(s3Store({ accessKeyId: 'NOT-A-KEY' }).probe(), (e) => {
    assert.ok(isControllerError(e, 'LW_CTRL_BLOB_STORE_UNAVAILABLE'));
    assert.match(e.message, /: access denied$/);
    return true;
  });
  const other = await startS3({ bucket: 'short-lived' });
  const store = new S3FileStore({ ...other.config, prefix: '' });
  stores.push(store);
  await store.probe();
  await other.close();
  await assert.rejects(store.probe(), (e) => {
    assert.ok(isControllerError(e, 'LW_CTRL_BLOB_STORE_UNAVAILABLE'));
    assert.ok(e.message.includes(`bucket short-lived at ${other.endpoint}`), e.message);
    return true;
  });
  await assert.rejects(store.get(refOf(Buffer.from('x'))), (e) =>
    isControllerError(e, 'LW_CTRL_BLOB_STORE_UNAVAILABLE'),
  );
});
