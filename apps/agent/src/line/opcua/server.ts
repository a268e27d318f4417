/**
 * The agent's optional OPC UA server: per camera the last verdict, counters, model version and online state, and a
 * Capture method, all served from a LinePort (so it is tested with MemoryLinePort and runs on the real agent alike).
 */
import { MessageSecurityMode, OPCUAServer, RegisterServerMethod, SecurityPolicy, UserTokenType } from 'node-opcua';
import { AgentError, reasonOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { LinePort } from '../port.js';
import { addCaptureMethod } from './capture.js';
import { routeLibraryLogs } from './library-log.js';
import { LINEWATCH_NAMESPACE_URI, addCamera, showState, showVerdict } from './nodes.js';
import type { CameraNodes } from './nodes.js';
import { openPki, ownCertificateFiles } from './pki.js';
import type { OpcUaPki } from './pki.js';
import { opcUaConfigProblem } from './schema.js';
import type { OpcUaConfig, OpcUaSecurityMode } from './schema.js';
import { UserStore } from './users.js';

export interface OpcUaServerOptions {
  readonly config: OpcUaConfig;
  /** The agent's data dir: the PKI lives in `<dataDir>/opcua-pki` unless `config.pkiDir` says otherwise. */
  readonly dataDir: string;
  /** Names the server (application URI `urn:linewatch:<site>:<line>:<device>`). */
  readonly identity?: { readonly site: string; readonly line: string; readonly device: string };
  readonly log?: Logger;
}

export interface OpcUaServerHandle {
  /** `opc.tcp://<host>:<port>` with the port actually bound (config port 0 = a free one). */
  readonly endpointUrl: string;
  readonly port: number;
  readonly namespaceUri: string;
  close(): Promise<void>;
}

const SECURITY_MODE: Readonly<Record<OpcUaSecurityMode, MessageSecurityMode>> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};

const ANY_ADDRESS = new Set(['0.0.0.0', '::']);

function userTokenTypes(cfg: OpcUaConfig, users: UserStore): UserTokenType[] {
  const types: UserTokenType[] = [];
  if (users.size > 0) types.push(UserTokenType.UserName);
  if (cfg.certificateLogin) types.push(UserTokenType.Certificate);
  if (cfg.allowAnonymous) types.push(UserTokenType.Anonymous);
  return types;
}

async function createServer(opts: OpcUaServerOptions, users: UserStore, pki: OpcUaPki): Promise<OPCUAServer> {
  const cfg = opts.config;
  const id = opts.identity;
  const applicationUri = id ? `urn:linewatch:${id.site}:${id.line}:${id.device}` : 'urn:linewatch:agent';
  const name = id ? `LineWatch agent ${id.device}` : 'LineWatch agent';
  return new OPCUAServer({
    host: cfg.host,
    // An address that means "every interface" is no name to advertise; node-opcua then advertises the host's FQDN.
    ...(ANY_ADDRESS.has(cfg.host) ? {} : { hostname: cfg.host }),
    port: cfg.port,
    ...(await ownCertificateFiles(cfg)),
    serverCertificateManager: pki.application,
    userCertificateManager: pki.users,
    // Basic256Sha256 is offered even with only `None`: user passwords and X.509 logins are encrypted/signed with it.
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    securityModes: cfg.securityModes.map((m) => SECURITY_MODE[m]),
    allowAnonymous: cfg.allowAnonymous,
    userManager: {
      isValidUserAsync: (name, password, done) =>
        void users.verify(name, password).then(
          (ok) => done(null, ok),
          (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
        ),
    },
    serverInfo: { applicationUri, productUri: 'urn:linewatch:agent', applicationName: { text: name } },
    buildInfo: { productName: 'LineWatch agent', manufacturerName: 'LineWatch' },
    serverCapabilities: { maxSessions: cfg.maxSessions },
    registerServerMethod: RegisterServerMethod.HIDDEN,
  });
}

/**
 * node-opcua offers password and X.509 logins on every endpoint whatever its options say; keep only the configured
 * ones, so a client sees what it may use and a session offering another kind of token is refused.
 */
function offerOnly(server: OPCUAServer, types: readonly UserTokenType[]): void {
  for (const endpoint of server.endpoints) {
    for (const d of endpoint.endpointDescriptions()) {
      d.userIdentityTokens = (d.userIdentityTokens ?? []).filter((t) => types.includes(t.tokenType));
    }
  }
}

function buildAddressSpace(server: OPCUAServer, port: LinePort, log: Logger): CameraNodes[] {
  const addressSpace = server.engine.addressSpace!;
  const ns = addressSpace.registerNamespace(LINEWATCH_NAMESPACE_URI);
  const root = ns.addObject({
    organizedBy: addressSpace.rootFolder.objects,
    browseName: 'LineWatch',
    nodeId: 's=LineWatch',
  });
  return port.cameras().map((camera) => {
    const nodes = addCamera(ns, root, camera);
    addCaptureMethod(ns, nodes.object, camera.id, port, log);
    return nodes;
  });
}

/** Starts the server; rejects with a coded AgentError (bad config, PKI or users, port taken) and leaves nothing open. */
export async function startOpcUaServer(port: LinePort, opts: OpcUaServerOptions): Promise<OpcUaServerHandle> {
  const cfg = opts.config;
  const log: Logger = opts.log ?? (() => undefined);
  const problem = opcUaConfigProblem({ ...cfg, enabled: true });
  if (problem) throw new AgentError('LW_AGENT_CONFIG_INVALID', problem);
  const users = await UserStore.load(cfg.users);
  const pki = await openPki(cfg, opts.dataDir);
  const unroute = routeLibraryLogs(log);
  let server: OPCUAServer | undefined;
  try {
    server = await createServer(opts, users, pki);
    await server.initialize();
    offerOnly(server, userTokenTypes(cfg, users));
    const cameras = buildAddressSpace(server, port, log);
    await server.start();
    return running(server, port, cameras, cfg, log, async () => {
      unroute();
      await pki.dispose();
    });
  } catch (e) {
    await server?.shutdown(0).catch(() => undefined);
    await pki.dispose().catch(() => undefined);
    unroute();
    if (e instanceof AgentError) throw e;
    throw new AgentError('LW_AGENT_OPCUA_START', `OPC UA server on ${cfg.host}:${cfg.port}: ${reasonOf(e)}`, {
      host: cfg.host,
      port: cfg.port,
    });
  }
}

function running(
  server: OPCUAServer,
  port: LinePort,
  cameras: readonly CameraNodes[],
  cfg: OpcUaConfig,
  log: Logger,
  release: () => Promise<void>,
): OpcUaServerHandle {
  const byId = new Map(cameras.map((c) => [c.camera, c]));
  const unsubscribe = port.onVerdict((v) => {
    const nodes = byId.get(v.camera);
    if (!nodes) return;
    showVerdict(nodes, v);
    showState(nodes, port);
  });
  // Catch up with what happened before the subscription (start-up takes seconds while the cameras run).
  for (const c of cameras) {
    const last = port.lastVerdict(c.camera);
    if (last) showVerdict(c, last);
    showState(c, port);
  }
  // Drops, model updates and outages change no verdict: refresh them on a timer.
  // A camera the port stops knowing (LW_AGENT_UNKNOWN_CAMERA) keeps its last values; the timer must never throw.
  const refresh = (c: (typeof cameras)[number]): void => {
    try {
      showState(c, port);
    } catch {
      /* its object stays as last shown */
    }
  };
  const timer = setInterval(() => cameras.forEach(refresh), cfg.refreshIntervalMs);
  timer.unref();
  const boundPort = server.endpoints[0]!.port;
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  const endpointUrl = `opc.tcp://${host}:${boundPort}`;
  log('info', `OPC UA server on ${endpointUrl} (${cameras.length} cameras, security ${cfg.securityModes.join('/')})`, {
    endpointUrl,
    securityModes: cfg.securityModes,
    users: cfg.users.map((u) => u.name),
    allowAnonymous: cfg.allowAnonymous,
    certificateLogin: cfg.certificateLogin,
  });
  let closing: Promise<void> | undefined;
  return {
    endpointUrl,
    port: boundPort,
    namespaceUri: LINEWATCH_NAMESPACE_URI,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        unsubscribe();
        await server.shutdown(0).catch((e: unknown) => log('warn', `OPC UA shutdown: ${reasonOf(e)}`));
        await release();
      })();
      return closing;
    },
  };
}
