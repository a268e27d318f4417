/**
 * A real S3-protocol server (s3rver: SigV4 auth, multipart, ranged GETs, pre-signed URLs) on 127.0.0.1, port 0,
 * storing into a fresh temp dir, with one bucket. `config` is a complete `files.s3` section pointing at it, for
 * `new S3FileStore(config)` or `overrides: { files: { kind: 's3', s3: config } }`. `requests` logs every request
 * the server saw (`PUT /bucket/key?partNumber=1&uploadId=…`), so a test can prove what really went over the wire.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { DEFAULTS } from '../../src/config.js';
import type { S3StoreConfig } from '../../src/files/s3-config.js';

export interface S3Server {
  endpoint: string;
  bucket: string;
  config: S3StoreConfig;
  requests: string[];
  /** Stops the server (idempotent) and removes its directory. */
  close(): Promise<void>;
}

export async function startS3(opts: { bucket?: string; config?: Partial<S3StoreConfig> } = {}): Promise<S3Server> {
  const bucket = opts.bucket ?? 'linewatch-test';
  const dir = mkdtempSync(join(tmpdir(), 'lw-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  let addr;
  try {
    addr = await server.run();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const requests: string[] = [];
  server.httpServer.on('request', (req: { method?: string; url?: string }) =>
    requests.push(`${req.method} ${req.url}`),
  );
  const endpoint = `http://127.0.0.1:${addr.port}`;
  const config: S3StoreConfig = {
    ...DEFAULTS.files.s3,
    endpoint,
    region: 'us-east-1',
    bucket,
    forcePathStyle: true,
    // s3rver's built-in key pair. It checks the key id (and a pre-signed URL's expiry) but not SigV4 signatures.
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    ...opts.config,
  };
  let closed = false;
  return {
    endpoint,
    bucket,
    config,
    requests,
    close: async () => {
      if (closed) return;
      closed = true;
      const done = server.close();
      server.httpServer.closeAllConnections(); // SDK keep-alive sockets would hold close() open
      await done;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
