/** node-opcua client helpers for the OPC UA tests: a client identity (its own PKI and certificate) and sessions. */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AttributeIds,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  UserTokenType,
} from 'node-opcua';
import type { ClientSession, DataValue, EndpointDescription, UserIdentityInfo } from 'node-opcua';

export interface ClientIdentity {
  readonly name: string;
  readonly manager: OPCUACertificateManager;
  readonly certificateFile: string;
  readonly privateKeyFile: string;
}

/** A client application with its own self-signed certificate, made once and shared by the tests' clients. */
export async function clientIdentity(dir: string, name: string): Promise<ClientIdentity> {
  const rootFolder = join(dir, `client-pki-${name}`);
  mkdirSync(rootFolder, { recursive: true });
  const manager = new OPCUACertificateManager({ rootFolder, automaticallyAcceptUnknownCertificate: true });
  await manager.initialize();
  const client = OPCUAClient.create({ applicationName: name, clientCertificateManager: manager });
  await client.createDefaultCertificate();
  return {
    name,
    manager,
    certificateFile: client.certificateFile,
    privateKeyFile: join(rootFolder, 'own/private/private_key.pem'),
  };
}

export type Security = 'None' | 'Sign' | 'SignAndEncrypt';

export interface SessionOptions {
  readonly identity: ClientIdentity;
  readonly security?: Security;
  readonly user?: UserIdentityInfo;
}

export function password(userName: string, pw: string): UserIdentityInfo {
  return { type: UserTokenType.UserName, userName, password: pw };
}

export function x509(identity: ClientIdentity): UserIdentityInfo {
  return {
    type: UserTokenType.Certificate,
    certificateData: new X509Certificate(readFileSync(identity.certificateFile)).raw,
    privateKey: readFileSync(identity.privateKeyFile, 'utf8'),
  };
}

/** Connects, opens a session, runs `fn`, and always closes session and client. */
export async function withSession<T>(
  endpointUrl: string,
  opts: SessionOptions,
  fn: (session: ClientSession) => Promise<T>,
): Promise<T> {
  const security = opts.security ?? 'None';
  const client = OPCUAClient.create({
    applicationName: opts.identity.name,
    clientCertificateManager: opts.identity.manager,
    securityMode: MessageSecurityMode[security],
    securityPolicy: security === 'None' ? SecurityPolicy.None : SecurityPolicy.Basic256Sha256,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    requestedSessionTimeout: 60_000,
  });
  await client.connect(endpointUrl);
  try {
    const session = await client.createSession(opts.user);
    try {
      return await fn(session);
    } finally {
      await session.close().catch(() => undefined);
    }
  } finally {
    await client.disconnect();
  }
}

export async function namespaceIndex(session: ClientSession, uri: string): Promise<number> {
  const ns = await session.readNamespaceArray();
  const i = ns.indexOf(uri);
  if (i < 0) throw new Error(`namespace ${uri} not on the server (${ns.join(', ')})`);
  return i;
}

export async function readValue(session: ClientSession, nodeId: string): Promise<DataValue> {
  return session.read({ nodeId, attributeId: AttributeIds.Value });
}

/** Polls an async condition until it holds or `timeoutMs` passes. */
export async function eventually(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The server's endpoint descriptions (GetEndpoints works without a session). */
export async function listEndpoints(endpointUrl: string, identity: ClientIdentity): Promise<EndpointDescription[]> {
  const client = OPCUAClient.create({
    applicationName: identity.name,
    clientCertificateManager: identity.manager,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0 },
  });
  await client.connect(endpointUrl);
  try {
    return await client.getEndpoints();
  } finally {
    await client.disconnect();
  }
}
