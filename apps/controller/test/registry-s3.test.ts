/**
 * The registry on the S3 blob store (s3rver on loopback): a package above the multipart threshold goes up in parts,
 * the signed controller link serves it whole and by Range straight from ranged bucket reads, and with
 * `files.s3.presignDownloads` the link enrollment hands an agent is a pre-signed S3 URL that yields the exact bytes.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeTestCa } from '@linewatch/testing';
import type { EnrollReply } from '@linewatch/protocol/http';
import { ManualClock } from '../src/clock.js';
import type { S3StoreConfig } from '../src/files/s3-config.js';
import { DownloadTokens } from '../src/registry/download-token.js';
import { login, testApp } from './helpers/http.js';
import { makeKeys } from './helpers/rollout-fixture.js';
import { startS3 } from './helpers/s3.js';
import { stubPackage } from './helpers/sim-agent.js';

const MiB = 1024 * 1024;
const SECRET = 'registry-s3-test-secret-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'lw-registry-s3-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ca = makeTestCa(join(dir, 'ca'));
const keys = makeKeys();
/** Above the 5 MiB test threshold: three 5 MiB parts at most. */
const bigTar = stubPackage(keys.privateKey, keys.publicKey, '2.0.0', 1, randomBytes(11 * MiB));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function setup(s3: S3StoreConfig, clock: ManualClock) {
  const { app, adminPassword } = await testApp({
    clock,
    overrides: {
      tls: { caPath: ca.caPath },
      registry: { trustedKeys: [keys.pem], urlSecret: SECRET, urlTtlS: 60, publicUrl: 'https://ctl.example:8443' },
      files: { kind: 's3', s3 },
    },
  });
  const admin = await login(app, 'admin', adminPassword);
  const upload = (tar: Buffer, query: string) =>
    app.inject({
      method: 'POST',
      url: `/api/models?${query}`,
      headers: { ...admin.headers, 'content-type': 'application/octet-stream' },
      payload: tar,
    });
  return { app, admin, upload };
}

test('registry on S3: a package goes up in parts; the signed link serves it whole and by Range', async () => {
  const s3 = await startS3({ config: { multipartThresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB, prefix: 'r/' } });
  const clock = new ManualClock(Date.now());
  const { app, upload } = await setup(s3.config, clock);
  try {
    const up = await upload(bigTar, 'version=v1');
    assert.equal(up.statusCode, 201, up.body);
    const ref = sha256(bigTar);
    const key = `/${s3.bucket}/r/blobs/${ref.slice(0, 2)}/${ref.slice(2, 4)}/${ref}`;
    assert.equal(s3.requests.filter((r) => r.startsWith(`PUT ${key}?`) && r.includes('partNumber=')).length, 3);

    const t = new DownloadTokens(SECRET, 60, clock).sign('v1', 'dev-1');
    const url = `/api/models/v1/package?device=${t.device}&exp=${t.exp}&sig=${t.sig}`;
    const before = s3.requests.length;
    const part = await app.inject({ method: 'GET', url, headers: { range: `bytes=${6 * MiB - 5}-${6 * MiB + 4}` } });
    assert.equal(part.statusCode, 206, part.body);
    assert.equal(part.headers['content-range'], `bytes ${6 * MiB - 5}-${6 * MiB + 4}/${bigTar.length}`);
    assert.deepEqual(part.rawPayload, bigTar.subarray(6 * MiB - 5, 6 * MiB + 5));
    assert.deepEqual(
      s3.requests.slice(before).filter((r) => r.startsWith('GET ')),
      [`GET ${key}?x-id=GetObject`],
      'one ranged GET to the bucket, nothing else read',
    );
    const last = await app.inject({ method: 'GET', url, headers: { range: `bytes=${bigTar.length - 1}-` } });
    assert.equal(last.statusCode, 206);
    assert.deepEqual(last.rawPayload, bigTar.subarray(-1));
    const beyond = await app.inject({ method: 'GET', url, headers: { range: `bytes=${bigTar.length}-` } });
    assert.equal(beyond.statusCode, 416);
    assert.equal(beyond.headers['content-range'], `bytes */${bigTar.length}`);
    const full = await app.inject({ method: 'GET', url });
    assert.equal(full.statusCode, 200);
    assert.equal(full.headers['accept-ranges'], 'bytes');
    assert.equal(sha256(full.rawPayload), ref);
  } finally {
    await app.close();
    await s3.close();
  }
});

test('registry on S3 with presignDownloads: enrollment hands a pre-signed bucket URL with the exact bytes', async () => {
  const s3 = await startS3({ config: { presignDownloads: true, presignTtlS: 300 } });
  const { app, admin, upload } = await setup(s3.config, new ManualClock(Date.now()));
  try {
    const tar = stubPackage(keys.privateKey, keys.publicKey, '1.0.0', 7);
    assert.equal((await upload(tar, 'version=v1&line=line-1')).statusCode, 201);
    await app.registry.setStatus('v1', 'deployed');
    const tok = await app.inject({
      method: 'POST',
      url: '/api/enrollment-tokens',
      headers: admin.headers,
      payload: { line: 'line-1', device: 'dev-p' },
    });
    assert.equal(tok.statusCode, 201, tok.body);
    const enrolled = await app.inject({
      method: 'POST',
      url: '/api/v1/enroll',
      payload: { token: (tok.json() as { token: string }).token, hostname: 'box-p', agentVersion: '0.1.0' },
    });
    const model = (enrolled.json() as EnrollReply).model;
    assert.ok(model, enrolled.body);
    const url = new URL(model.packageUrl);
    assert.equal(url.origin, s3.endpoint, 'the link points at the bucket, not at the controller');
    assert.equal(url.searchParams.get('X-Amz-Expires'), '300');
    const res = await fetch(url);
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(sha256(bytes), model.sha256);
    assert.deepEqual(bytes, tar);
    const resumed = await fetch(url, { headers: { range: 'bytes=100-' } });
    assert.equal(resumed.status, 206, 'an agent resumes from the bucket too');
    assert.deepEqual(Buffer.from(await resumed.arrayBuffer()), tar.subarray(100));
    // s3rver checks the key id and expiry of a pre-signed URL, not its SigV4 signature: that part is untested here.
    assert.equal(url.searchParams.get('X-Amz-Credential')?.split('/')[0], 'S3RVER');
  } finally {
    await app.close();
    await s3.close();
  }
});
