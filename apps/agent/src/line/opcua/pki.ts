/**
 * The OPC UA server's certificate stores: one for applications (secure channels) and one for X.509 user logins, each
 * with node-opcua's own/, trusted/, rejected/ folders. Unknown client certificates are rejected (and land in
 * rejected/, from where an operator may move them to trusted/); the configured ones are trusted at start.
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';
import { AgentError, reasonOf } from '../../errors.js';
import type { OpcUaConfig } from './schema.js';

export interface OpcUaPki {
  readonly application: OPCUACertificateManager;
  readonly users: OPCUACertificateManager;
  dispose(): Promise<void>;
}

async function readDer(file: string): Promise<Buffer> {
  try {
    // X509Certificate reads PEM and DER alike; .raw is the DER that node-opcua's stores hold.
    return new X509Certificate(await readFile(file)).raw;
  } catch (e) {
    throw new AgentError('LW_AGENT_OPCUA_PKI', `trusted client certificate ${file}: ${reasonOf(e)}`, { file });
  }
}

async function manager(rootFolder: string, name: string): Promise<OPCUACertificateManager> {
  try {
    await mkdir(rootFolder, { recursive: true, mode: 0o700 });
    const m = new OPCUACertificateManager({ rootFolder, name, automaticallyAcceptUnknownCertificate: false });
    await m.initialize();
    return m;
  } catch (e) {
    throw new AgentError('LW_AGENT_OPCUA_PKI', `OPC UA PKI folder ${rootFolder}: ${reasonOf(e)}`, { rootFolder });
  }
}

export async function openPki(cfg: OpcUaConfig, dataDir: string): Promise<OpcUaPki> {
  const root = cfg.pkiDir ?? join(dataDir, 'opcua-pki');
  const trusted = await Promise.all(cfg.trustedClientCertificates.map(readDer));
  const application = await manager(join(root, 'application'), 'LineWatchServer');
  const users = await manager(join(root, 'users'), 'LineWatchUsers');
  for (const der of trusted) {
    await application.trustCertificate(der);
    if (cfg.certificateLogin) await users.trustCertificate(der);
  }
  return {
    application,
    users,
    async dispose() {
      await Promise.all([application.dispose(), users.dispose()]);
    },
  };
}

/** The server's own certificate and key when the config names them; otherwise node-opcua makes a self-signed pair. */
export async function ownCertificateFiles(
  cfg: OpcUaConfig,
): Promise<{ certificateFile?: string; privateKeyFile?: string }> {
  if (!cfg.certificateFile || !cfg.privateKeyFile) return {};
  for (const file of [cfg.certificateFile, cfg.privateKeyFile]) {
    await readFile(file).catch((e: unknown) => {
      throw new AgentError('LW_AGENT_OPCUA_PKI', `OPC UA server certificate/key ${file}: ${reasonOf(e)}`, { file });
    });
  }
  return { certificateFile: cfg.certificateFile, privateKeyFile: cfg.privateKeyFile };
}
