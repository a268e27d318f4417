/**
 * A throw-away certificate authority for TLS tests, made with the system's openssl: a CA and one server certificate
 * it signs (P-256, valid two days) for loopback names, written into a folder the caller owns and removes. Each call
 * makes a new CA, so a second call is "the wrong CA" for refusal tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCa {
  /** The CA certificate (PEM): what clients trust. */
  readonly caPath: string;
  readonly caPem: string;
  /** The server certificate (PEM, leaf only) and its private key (PEM), for the names in `hosts`. */
  readonly certPath: string;
  readonly keyPath: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** Names and addresses in the server certificate's subjectAltName. */
  readonly hosts: readonly string[];
}

export interface TestCaOptions {
  /** subjectAltName entries; IPv4/IPv6 literals become IP entries. Default: 127.0.0.1, ::1, localhost. */
  readonly hosts?: readonly string[];
  /** Common name of the CA (shows in openssl errors; handy to tell two test CAs apart). */
  readonly caName?: string;
}

export const DEFAULT_TEST_HOSTS: readonly string[] = ['127.0.0.1', '::1', 'localhost'];

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const san = (h: string): string => (/^[\d.]+$/.test(h) || h.includes(':') ? `IP:${h}` : `DNS:${h}`);

/** Writes ca.pem, ca.key, server.pem and server.key into `dir` (created if missing) and returns their paths. */
export function makeTestCa(dir: string, opts: TestCaOptions = {}): TestCa {
  const hosts = opts.hosts ?? DEFAULT_TEST_HOSTS;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caName = opts.caName ?? 'linewatch test CA';
  openssl(
    ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${caName}`].concat([
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]),
    dir,
  );
  openssl(
    ['req', ...EC, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${hosts[0] ?? 'localhost'}`],
    dir,
  );
  writeFileSync(
    join(dir, 'server.ext'),
    [
      `subjectAltName=${hosts.map(san).join(',')}`,
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extfile',
      'server.ext',
    ]),
    dir,
  );
  const path = (f: string): string => join(dir, f);
  return {
    caPath: path('ca.pem'),
    caPem: readFileSync(path('ca.pem'), 'utf8'),
    certPath: path('server.pem'),
    keyPath: path('server.key'),
    certPem: readFileSync(path('server.pem'), 'utf8'),
    keyPem: readFileSync(path('server.key'), 'utf8'),
    hosts,
  };
}
