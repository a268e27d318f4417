/** A throw-away CA made with openssl: a server certificate for 127.0.0.1/localhost, and an unrelated second CA. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

export interface Pki {
  readonly caPath: string;
  /** A CA that signed nothing here: verifying against it must fail. */
  readonly otherCaPath: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

function openssl(cwd: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd });
  if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr.toString()}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(cwd: string, name: string): void {
  openssl(cwd, [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  ]);
}

export function makePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true });
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  openssl(dir, ['req', ...EC, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '1',
    '-extfile',
    'server.ext',
  ]);
  return {
    caPath: join(dir, 'ca.pem'),
    otherCaPath: join(dir, 'other-ca.pem'),
    cert: readFileSync(join(dir, 'server.pem')),
    key: readFileSync(join(dir, 'server.key')),
  };
}
