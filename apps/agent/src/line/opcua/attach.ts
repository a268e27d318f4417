/**
 * The OPC UA server as a part of the running agent: started in the background when `opcua.enabled` (the agent does
 * not wait for it, and keeps scoring if it fails: the failure is a coded problem that makes the status `degraded`),
 * and closed on stop.
 *
 * node-opcua is imported only here and only when the server is enabled: it is a large library (seconds to load on a
 * small device, far more under a TypeScript loader), and an agent without OPC UA must not pay for it at start-up.
 */
import type { AgentErrorCode } from '../../errors.js';
import { isAgentError, reasonOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { LinePort } from '../port.js';
import type { OpcUaConfig } from './schema.js';
import type { OpcUaServerHandle } from './server.js';

/** node-opcua is an optional peer dependency (~70 MB): installed only where OPC UA is used. */
export const INSTALL_HINT = 'npm install node-opcua@2.182.2 in the folder the agent is installed in';

function libraryMissing(e: unknown): boolean {
  return (e as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && reasonOf(e).includes('node-opcua');
}

export interface OpcUaAttachOptions {
  readonly config: OpcUaConfig;
  readonly dataDir: string;
  readonly identity: { readonly site: string; readonly line: string; readonly device: string };
  readonly log: Logger;
  /** Reports a failed start (status `degraded` with the code). */
  readonly problem: (code: AgentErrorCode, message: string) => void;
}

export interface OpcUaAttachment {
  /** Settles once the server is up (its handle) or failed to start (undefined). */
  readonly ready: Promise<OpcUaServerHandle | undefined>;
  stop(): Promise<void>;
}

export function attachOpcUa(port: LinePort, opts: OpcUaAttachOptions): OpcUaAttachment | undefined {
  if (!opts.config.enabled) return undefined;
  const ready = import('./server.js')
    .then(({ startOpcUaServer }) =>
      startOpcUaServer(port, { config: opts.config, dataDir: opts.dataDir, identity: opts.identity, log: opts.log }),
    )
    .catch((e: unknown) => {
      const code: AgentErrorCode = isAgentError(e) ? e.code : 'LW_AGENT_OPCUA_START';
      const reason = libraryMissing(e) ? `node-opcua is not installed (${INSTALL_HINT})` : reasonOf(e);
      opts.log('error', `OPC UA server not started: ${reason}`, { code });
      opts.problem(code, `OPC UA server not started: ${reason}`);
      return undefined;
    });
  return {
    ready,
    async stop() {
      await (await ready)?.close();
    },
  };
}
