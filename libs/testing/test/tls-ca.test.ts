import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeTestCa } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'lw-testing-ca-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('makeTestCa: a server certificate for the given names, issued by its own CA and by no other', () => {
  const ca = makeTestCa(join(dir, 'a'), { hosts: ['lw.example.test', '127.0.0.1'] });
  const other = makeTestCa(join(dir, 'b'));
  const leaf = new X509Certificate(ca.certPem);
  assert.equal(leaf.subjectAltName, 'DNS:lw.example.test, IP Address:127.0.0.1');
  assert.equal(leaf.checkHost('lw.example.test'), 'lw.example.test');
  assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(leaf.ca, false);
  assert.ok(leaf.verify(new X509Certificate(ca.caPem).publicKey));
  assert.ok(!leaf.verify(new X509Certificate(other.caPem).publicKey));
  assert.ok(new X509Certificate(ca.caPem).ca);
  assert.equal(leaf.checkPrivateKey(createPrivateKey(ca.keyPem)), true);
});
