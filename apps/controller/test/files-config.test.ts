/**
 * files.* configuration: disk by default, S3 from the environment, coded refusals for an incomplete S3 section, the
 * plaintext rule for a remote http:// endpoint, and which store and link presigner createFileStore/packagePresigner
 * pick.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS, loadConfig, type ConfigInput } from '../src/config.js';
import { isControllerError, type ErrorCode } from '../src/errors.js';
import { createFileStore, packagePresigner } from '../src/files/create-file-store.js';
import { DiskFileStore } from '../src/files/file-store.js';
import { S3FileStore } from '../src/files/s3-file-store.js';

const refused = (code: ErrorCode, text: RegExp) => (e: unknown) => {
  assert.ok(isControllerError(e, code), String(e));
  assert.match(e.message, text);
  return true;
};
const s3 = (s3Input: NonNullable<NonNullable<ConfigInput['files']>['s3']>): ConfigInput => ({
  files: { kind: 's3', s3: s3Input },
});

test('files: disk is the default; the S3 section comes from LW_FILES_* variables', () => {
  const plain = loadConfig({ env: {} });
  assert.equal(plain.files.kind, 'disk');
  assert.ok(createFileStore(plain) instanceof DiskFileStore);
  assert.equal(packagePresigner(plain, createFileStore(plain)), null);
  const c = loadConfig({
    env: {
      LW_FILES_KIND: 's3',
      LW_FILES_S3_ENDPOINT: 'https://minio.plant.example:9000',
      LW_FILES_S3_REGION: 'eu-central-1',
      LW_FILES_S3_BUCKET: 'linewatch-blobs',
      LW_FILES_S3_PREFIX: 'site-a/',
      LW_FILES_S3_FORCE_PATH_STYLE: 'true',
      LW_FILES_S3_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      LW_FILES_S3_SECRET_ACCESS_KEY: 'secret-example',
      LW_FILES_S3_MULTIPART_THRESHOLD_BYTES: String(16 * 1024 ** 2),
      LW_FILES_S3_PART_SIZE_BYTES: String(8 * 1024 ** 2),
      LW_FILES_S3_PRESIGN_DOWNLOADS: 'true',
      LW_FILES_S3_PRESIGN_TTL_S: '600',
    },
  });
  assert.deepEqual(c.files.s3, {
    endpoint: 'https://minio.plant.example:9000',
    region: 'eu-central-1',
    bucket: 'linewatch-blobs',
    prefix: 'site-a/',
    forcePathStyle: true,
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'secret-example',
    multipartThresholdBytes: 16 * 1024 ** 2,
    partSizeBytes: 8 * 1024 ** 2,
    presignDownloads: true,
    presignTtlS: 600,
  });
  const store = createFileStore(c);
  assert.ok(store instanceof S3FileStore);
  assert.notEqual(packagePresigner(c, store), null);
  assert.equal(
    packagePresigner({ ...c, files: { ...c.files, s3: { ...c.files.s3, presignDownloads: false } } }, store),
    null,
  );
  store.close();
});

test('files: an incomplete or unsafe S3 section is a coded refusal naming the setting', () => {
  const invalid = (overrides: ConfigInput, text: RegExp) =>
    assert.throws(() => loadConfig({ env: {}, overrides }), refused('LW_CTRL_CONFIG_INVALID', text));
  invalid({ files: { kind: 's3' } }, /files\/s3\/bucket: required when files.kind is s3/);
  invalid(s3({ bucket: 'b-1', accessKeyId: 'AKID' }), /accessKeyId and secretAccessKey go together/);
  invalid(s3({ bucket: 'Not_A_Bucket' }), /\/files\/s3\/bucket/);
  invalid(s3({ bucket: 'b-1', prefix: 'no-slash' }), /\/files\/s3\/prefix/);
  invalid(s3({ bucket: 'b-1', partSizeBytes: 1024 * 1024 }), /\/files\/s3\/partSizeBytes/);
  invalid(s3({ bucket: 'b-1', presignTtlS: 8 * 24 * 3600 }), /\/files\/s3\/presignTtlS/);
  assert.throws(
    () => loadConfig({ env: { LW_FILES_KIND: 'gcs' } }),
    refused('LW_CTRL_CONFIG_INVALID', /\/files\/kind/),
  );
  assert.throws(
    () => loadConfig({ env: {}, overrides: s3({ bucket: 'b-1', endpoint: 'http://minio.plant.example:9000' }) }),
    refused('LW_CTRL_PLAINTEXT_REFUSED', /S3 at http:\/\/minio\.plant\.example:9000/),
  );
  // Loopback over http is fine (a MinIO next to the controller); the default chain needs no keys.
  const ok = loadConfig({ env: {}, overrides: s3({ bucket: 'b-1', endpoint: 'http://127.0.0.1:9000' }) });
  assert.equal(ok.files.s3.accessKeyId, null);
  assert.equal(DEFAULTS.files.s3.presignDownloads, false);
});
