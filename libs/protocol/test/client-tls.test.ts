/**
 * The typed client over HTTPS against a node:https server on 127.0.0.1 with a throw-away openssl CA: with the CA
 * (the `ca` option, i.e. tlsFetch) bytes go out and come back, 204 and set-cookie answers pass through, and the
 * timeout still holds; without the CA or with another CA the call is refused with LW_PROTO_HTTP_TLS.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeTestCa, type TestCa } from '@linewatch/testing';
import { ApiClient, isApiError, tlsFetch } from '../src/client/index.js';
import { LogoutRoute, ParentPackageRoute, UploadPackageRoute } from '../src/http/index.js';

const dir = mkdtempSync(join(tmpdir(), 'lw-client-tls-'));
let ca: TestCa;
let other: TestCa;
let server: Server;
let base = '';
let hang = false;

before(async () => {
  ca = makeTestCa(join(dir, 'ca'));
  other = makeTestCa(join(dir, 'other'), { caName: 'another CA' });
  server = createServer({ cert: ca.certPem, key: ca.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (hang) return; // never answers: the client's timeout must end the call
      const body = Buffer.concat(chunks);
      if (req.url?.startsWith('/api/worker/jobs/j1/package')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ sha256: body.toString('hex'), bytes: body.length }));
      }
      if (req.url === LogoutRoute.url) return void res.writeHead(204, { 'set-cookie': 'lw_session=; Max-Age=0' }).end();
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.from([9, 8, 7]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const client = (opts: { ca?: string; timeoutMs?: number } = {}): ApiClient =>
  new ApiClient({ baseUrl: base, auth: { kind: 'bearer', token: 't' }, timeoutMs: 5000, ...opts });

test('with the CA: bytes up and down, a 204 with set-cookie, over one verified connection', async () => {
  const c = client({ ca: ca.caPem });
  const up = await c.call(UploadPackageRoute, {
    params: { id: 'j1' },
    query: { lease: 'lease-0123' },
    body: Uint8Array.from([1, 2, 3]),
  });
  assert.deepEqual(up, { sha256: '010203', bytes: 3 });
  const down = await c.call(ParentPackageRoute, { path: '/api/worker/jobs/j2/parent-package' });
  assert.deepEqual(down, Uint8Array.from([9, 8, 7]));
  const out = await c.request(LogoutRoute);
  assert.equal(out.status, 204);
  assert.deepEqual(out.headers.getSetCookie(), ['lw_session=; Max-Age=0']);
});

test('without the CA or with another CA the call is refused: LW_PROTO_HTTP_TLS', async () => {
  for (const c of [client(), client({ ca: other.caPem })]) {
    await assert.rejects(c.call(ParentPackageRoute, { path: '/x' }), (e: unknown) => {
      assert.ok(isApiError(e, 'LW_PROTO_HTTP_TLS'), String(e));
      assert.equal(e.status, null);
      assert.match(String((e.details as { tlsCode?: string }).tlsCode), /SELF_SIGNED|UNABLE_TO_VERIFY|ISSUER/);
      return true;
    });
  }
});

test('the timeout holds over tlsFetch, and ca excludes an injected fetch', async () => {
  hang = true;
  try {
    await assert.rejects(client({ ca: ca.caPem, timeoutMs: 300 }).call(ParentPackageRoute, { path: '/x' }), (e) =>
      isApiError(e, 'LW_PROTO_HTTP_TIMEOUT'),
    );
  } finally {
    hang = false;
  }
  assert.throws(
    () => new ApiClient({ baseUrl: base, ca: ca.caPem, fetch: tlsFetch({ ca: ca.caPem }) }),
    /LW_PROTO_INVALID_ARGUMENT/,
  );
});
