/**
 * `linewatch-agent enroll`: trades a one-time token for everything the device needs (POST /api/v1/enroll through the
 * typed client), writes the controller's CA and the trusted model-signing keys into the state folder, the config
 * (mode 0600: it holds the MQTT password) with the device's identity, broker and CA, and installs the line's live
 * model if it has one. An existing config keeps its cameras and other settings; identity, broker, keys and
 * controller are replaced. The config is written before the model is fetched: the token is spent once answered.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isApiError } from '@linewatch/protocol';
import { ApiClient } from '@linewatch/protocol/client';
import { EnrollRoute } from '@linewatch/protocol/http';
import type { EnrollReply } from '@linewatch/protocol/http';
import { trustedKeys } from '../agent.js';
import { parseConfig } from '../config.js';
import type { AgentConfig } from '../config.js';
import { AgentError, reasonOf } from '../errors.js';
import { installFirstModel } from '../model/first-model.js';
import { ModelStore } from '../model/store.js';
import { AGENT_VERSION } from '../runtime.js';
import { caFetch, isCertificateError } from './fetch.js';

export interface EnrollOptions {
  /** e.g. https://controller.plant-1:8443 */
  readonly controller: string;
  readonly token: string;
  /** PEM file of the CA that signed the controller's certificate (else Node's trust store). */
  readonly caPath?: string;
  readonly configPath: string;
  readonly stateDir: string;
  /** Execution providers for a new config (an existing config keeps its own). */
  readonly providers?: readonly string[];
  readonly timeoutMs?: number;
}

export interface EnrollResult {
  readonly config: AgentConfig;
  readonly configPath: string;
  /** The installed model's version, null when the line has none live yet. */
  readonly model: string | null;
  /** Why the line's model was not installed (the agent fetches it when it runs). */
  readonly modelProblem?: string;
}

function readCa(path: string | undefined): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new AgentError('LW_AGENT_TLS_FILE', `--ca ${path}: ${reasonOf(e)}`, { file: path });
  }
}

async function callEnroll(opts: EnrollOptions, ca: Buffer | undefined): Promise<EnrollReply> {
  const client = new ApiClient({ baseUrl: opts.controller, fetch: caFetch(ca), timeoutMs: opts.timeoutMs ?? 30_000 });
  try {
    const host = hostname().slice(0, 253);
    return await client.call(EnrollRoute, {
      body: { token: opts.token, agentVersion: AGENT_VERSION, ...(host ? { hostname: host } : {}) },
    });
  } catch (e) {
    if (isCertificateError(e)) {
      const against = opts.caPath ? `the CA in ${opts.caPath}` : "the system's trusted CAs (pass --ca ca.pem)";
      throw new AgentError(
        'LW_AGENT_ENROLL_TLS',
        `${opts.controller}: certificate not trusted by ${against}: ${reasonOf(e)}`,
      );
    }
    if (isApiError(e) && e.status !== null) {
      throw new AgentError(
        'LW_AGENT_ENROLL_REFUSED',
        `the controller refused enrollment: ${e.code}: ${reasonOf(e).replace(`${e.code}: `, '')}`,
        {
          controllerCode: e.code,
          status: e.status,
        },
      );
    }
    throw new AgentError('LW_AGENT_ENROLL_UNREACHABLE', `${opts.controller}: ${reasonOf(e)}`);
  }
}

/** Writes `data` through a temp file + rename with `mode`, so a crash never leaves half a file. */
function writePrivate(path: string, data: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

function existingConfig(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch (e) {
    throw new AgentError('LW_AGENT_CONFIG_UNREADABLE', `${path}: ${reasonOf(e)} (fix or remove it, then enroll again)`);
  }
}

/** Writes the CA and keys into the state folder and returns the merged raw config. */
function composeConfig(opts: EnrollOptions, reply: EnrollReply, ca: Buffer | undefined): Record<string, unknown> {
  const state = resolve(opts.stateDir);
  if (reply.trustedKeys.length === 0)
    throw new AgentError('LW_AGENT_ENROLL_INVALID', 'the controller trusts no model-signing key yet');
  const keyPaths = reply.trustedKeys.map((pem, i) => {
    const p = join(state, 'keys', `trusted-${i}.pem`);
    writePrivate(p, pem, 0o644);
    return p;
  });
  const caPem = reply.caCertPem ?? ca?.toString('utf8');
  const caFile = caPem ? join(state, 'tls', 'ca.pem') : undefined;
  if (caFile && caPem) writePrivate(caFile, caPem, 0o644);
  const old = existingConfig(opts.configPath);
  const oldBroker = (old['broker'] ?? {}) as Record<string, unknown>;
  const oldModel = (old['model'] ?? {}) as Record<string, unknown>;
  const brokerUrl = reply.brokerUrls[0]!;
  const tlsBroker = /^(mqtts|wss):/.test(brokerUrl);
  const { tls: _oldTls, ...brokerRest } = oldBroker;
  return {
    ...old,
    site: reply.device.site,
    line: reply.device.line,
    device: reply.device.id,
    broker: {
      ...brokerRest,
      url: brokerUrl,
      username: reply.credentials.username,
      password: reply.credentials.password,
      ...(tlsBroker ? { tls: { ...(caFile ? { caFile } : {}) } } : {}),
    },
    model: { ...oldModel, trustedKeyPath: keyPaths[0], additionalTrustedKeyPaths: keyPaths.slice(1) },
    controller: { url: reply.controllerUrl, ...(caFile ? { caFile } : {}) },
    dataDir: state,
    ...(old['inference'] === undefined && opts.providers
      ? { inference: { executionProviders: [...opts.providers] } }
      : {}),
  };
}

export async function enroll(opts: EnrollOptions): Promise<EnrollResult> {
  const ca = readCa(opts.caPath);
  const reply = await callEnroll(opts, ca);
  const raw = composeConfig(opts, reply, ca);
  const config = parseConfig(raw);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(config.dataDir, 0o700);
  writePrivate(opts.configPath, `${JSON.stringify(raw, null, 2)}\n`, 0o600);
  if (!reply.model) return { config, configPath: opts.configPath, model: null };
  try {
    const caBytes = config.controller.caFile ? readFileSync(config.controller.caFile) : undefined;
    await installFirstModel(new ModelStore(config.dataDir), reply.model, {
      keys: trustedKeys(config),
      maxBytes: config.model.maxDownloadBytes,
      timeoutMs: config.model.downloadTimeoutMs,
      ...(caBytes ? { ca: caBytes } : {}),
    });
    return { config, configPath: opts.configPath, model: reply.model.version };
  } catch (e) {
    return { config, configPath: opts.configPath, model: null, modelProblem: reasonOf(e) };
  }
}
