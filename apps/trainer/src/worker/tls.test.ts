/**
 * The worker verifies an https controller against the CA given with --ca (throw-away openssl CA): a claim goes
 * through with it and is refused without it or with another CA (LW_TRAINER_CONTROLLER carrying the client's
 * LW_PROTO_HTTP_TLS); --ca is checked at start-up to be a certificate and to go with an https URL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateSigningKeys } from '@linewatch/model-package';
import { makeTestCa, type TestCa } from '@linewatch/testing';
import { isTrainerError } from '../errors.js';
import { workerConfig } from './config.js';
import { ControllerClient } from './controller-client.js';

const dir = mkdtempSync(join(tmpdir(), 'lw-worker-tls-'));
let ca: TestCa;
let other: TestCa;
let server: Server;
let base = '';
const claims: string[] = [];

before(async () => {
  ca = makeTestCa(join(dir, 'ca'));
  other = makeTestCa(join(dir, 'other'), { caName: 'another CA' });
  server = createServer({ cert: ca.certPem, key: ca.keyPem }, (req, res) => {
    req.resume();
    req.on('end', () => {
      claims.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ claim: null }));
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

const client = (caPem?: string): ControllerClient =>
  new ControllerClient({ baseUrl: base, token: 'tok', workerId: 'w1', timeoutMs: 5000, ...(caPem && { ca: caPem }) });

test('claims over https with the controller CA; refused without it or with another CA', async () => {
  assert.equal(await client(ca.caPem).claim(), null);
  assert.deepEqual(claims, ['POST /api/worker/claim Bearer tok']);
  for (const c of [client(), client(other.caPem)]) {
    await assert.rejects(c.claim(), (e: unknown) => {
      assert.ok(isTrainerError(e, 'LW_TRAINER_CONTROLLER'), String(e));
      assert.equal((e.details as { code?: string }).code, 'LW_PROTO_HTTP_TLS');
      return true;
    });
  }
  assert.equal(claims.length, 1, 'a refused handshake sends nothing');
});

test('--ca: read once at start-up, must be a certificate and go with an https controller', async () => {
  const keys = await generateSigningKeys(join(dir, 'keys'));
  const flags = { controller: base, key: keys.privateKeyPath, token: 't' };
  assert.equal(workerConfig(flags, dir, {}).caPem, null);
  assert.equal(workerConfig({ ...flags, ca: ca.caPath }, dir, {}).caPem, ca.caPem);
  const badCa = (e: unknown): boolean =>
    isTrainerError(e, 'LW_TRAINER_BAD_VALUE') && (e.details as { flag?: string }).flag === 'ca';
  assert.throws(() => workerConfig({ ...flags, ca: ca.keyPath }, dir, {}), badCa);
  assert.throws(() => workerConfig({ ...flags, ca: join(dir, 'missing.pem') }, dir, {}), badCa);
  assert.throws(() => workerConfig({ ...flags, controller: 'http://127.0.0.1:1', ca: ca.caPath }, dir, {}), badCa);
});
