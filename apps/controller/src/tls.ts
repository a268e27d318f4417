/**
 * TLS material from the configured PEM files, read and checked once at start-up so a wrong path, a key that does
 * not belong to the certificate or a CA file that is no certificate stops the controller with LW_CTRL_TLS_INVALID
 * instead of failing each handshake later. The same certificate serves HTTPS and the embedded broker's TLS
 * listeners; the external-broker options are what mqtt.js needs to verify (and authenticate to) a remote broker.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Config } from './config.js';
import { ctrlError } from './errors.js';

export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface ClientTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw ctrlError('LW_CTRL_TLS_INVALID', `cannot read the ${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
}

function pair(certPath: string, keyPath: string, what: string): ServerTls {
  const cert = read(certPath, `${what} certificate`);
  const key = read(keyPath, `${what} key`);
  try {
    // Node's own check: parses both PEMs and refuses a key that does not match the certificate.
    createSecureContext({ cert, key });
  } catch (e) {
    throw ctrlError(
      'LW_CTRL_TLS_INVALID',
      `${what} certificate ${certPath} / key ${keyPath}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  return { cert, key };
}

/** The CA certificate file, checked to be one (the first PEM block is parsed). */
export function readCa(path: string, what = 'CA certificate'): Buffer {
  const ca = read(path, what);
  try {
    new X509Certificate(ca);
  } catch (e) {
    throw ctrlError('LW_CTRL_TLS_INVALID', `${what} ${path} is not a PEM certificate: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return ca;
}

/** The certificate and key this controller serves, or null when it serves plaintext (tls.certPath unset). */
export function loadServerTls(config: Readonly<Config>): ServerTls | null {
  const { certPath, keyPath, caPath } = config.tls;
  if (caPath !== null) readCa(caPath);
  if (certPath === null || keyPath === null) return null;
  return pair(certPath, keyPath, 'server');
}

/** What an mqtt.js client needs to verify an external broker (and, with certPath, to present a certificate). */
export function externalBrokerTls(mqtt: Readonly<Config['mqtt']>): ClientTls {
  return {
    ...(mqtt.caPath !== null && { ca: readCa(mqtt.caPath, 'MQTT broker CA certificate') }),
    ...(mqtt.certPath !== null && mqtt.keyPath !== null && pair(mqtt.certPath, mqtt.keyPath, 'MQTT client')),
  };
}
