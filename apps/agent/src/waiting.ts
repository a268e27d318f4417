/**
 * An agent with no model yet (enrolled on a line that has none live, or its only package gone) does not refuse to
 * start: it connects, says who it is (birth with `modelVersion: null`), reports `degraded` with
 * LW_AGENT_WAITING_FOR_MODEL in its status note and health `problems`, and waits for the controller's retained
 * desired-model command. The package is downloaded, verified and installed as live; the caller then starts the
 * agent proper, which loads it like any installed model (and reports it `live` when the command arrives again).
 */
import { join } from 'node:path';
import { PROTOCOL_VERSION, toPublication } from '@linewatch/protocol';
import type { DesiredModelMessage, DeviceAddress, ModelReportMessage } from '@linewatch/protocol';
import { fromPublication } from '@linewatch/protocol';
import { build, controllerCa, trustedKeys } from './agent.js';
import type { Agent, BuildOptions } from './agent.js';
import { frameSource } from './config.js';
import type { AgentConfig } from './config.js';
import { BdSeq } from './counters.js';
import { AgentError, isAgentError, reasonOf } from './errors.js';
import type { Logger } from './log.js';
import { installFirstModel } from './model/first-model.js';
import { ModelStore } from './model/store.js';
import { defaultMqttFactory, MqttLink } from './mqtt/link.js';
import type { MqttFactory } from './mqtt/link.js';
import { AGENT_VERSION } from './runtime.js';

const WAITING = "no model installed; waiting for the controller's model";
/** The status note while waiting (`<key>: <code> <message>`, like every other problem). */
export const WAITING_NOTE = `model: LW_AGENT_WAITING_FOR_MODEL ${WAITING}`;

export interface WaitOptions {
  readonly config: AgentConfig;
  readonly log: Logger;
  readonly mqttFactory?: MqttFactory;
  readonly now?: () => number;
  /** Aborting (SIGTERM while waiting) stops waiting: the promise rejects with the abort reason. */
  readonly signal?: AbortSignal;
}

interface Session {
  readonly cfg: AgentConfig;
  readonly address: DeviceAddress;
  readonly link: MqttLink;
  readonly now: () => number;
}

function announce(s: Session, bdSeq: number): void {
  const { cfg, address, link, now } = s;
  void link.publish(
    toPublication('birth', address, {
      device: address.device,
      bdSeq,
      ts: now(),
      agentVersion: AGENT_VERSION,
      modelVersion: null,
      // The provider the device is meant to run on: nothing is open yet.
      executionProvider: cfg.inference.executionProviders[0]!,
      protocolVersion: PROTOCOL_VERSION,
      cameras: cfg.cameras.map((c) => ({
        camera: c.id,
        width: frameSource(c.source).width,
        height: frameSource(c.source).height,
        fps: frameSource(c.source).fps,
      })),
    }),
  );
  void link.publish(
    toPublication('status', address, {
      device: address.device,
      bdSeq,
      ts: now(),
      state: 'degraded',
      modelVersion: null,
      cameras: cfg.cameras.map((c) => c.id),
      note: WAITING_NOTE,
    }),
  );
}

function health(s: Session, started: number): void {
  const { cfg, address, link, now } = s;
  if (!link.connected) return;
  link.publishLossy(
    toPublication('health', address, {
      device: address.device,
      ts: now(),
      uptimeS: (performance.now() - started) / 1000,
      modelVersion: null,
      executionProvider: cfg.inference.executionProviders[0]!,
      cameras: cfg.cameras.map((c) => ({ camera: c.id, fps: 0, framesDropped: 0 })),
      latencyMs: { p50: 0, p99: 0 },
      outbox: { depth: 0, bytes: 0 },
      problems: [{ key: 'model', code: 'LW_AGENT_WAITING_FOR_MODEL', message: WAITING }],
    }),
  );
}

function report(s: Session, d: DesiredModelMessage, extra: Partial<ModelReportMessage>): void {
  const r: ModelReportMessage = {
    device: s.address.device,
    rolloutId: d.rolloutId,
    version: d.version,
    state: 'downloading',
    liveVersion: null,
    ts: s.now(),
    ...extra,
  };
  void s.link.publish(toPublication('modelReport', s.address, r));
}

/** Downloads, verifies and installs one desired model, reporting each step; false when it failed (reported). */
async function installDesired(
  s: Session,
  d: DesiredModelMessage,
  c: {
    readonly store: ModelStore;
    readonly keys: ReturnType<typeof trustedKeys>;
    readonly opts: WaitOptions;
    readonly ca?: Buffer;
  },
): Promise<boolean> {
  const { cfg } = s;
  report(s, d, { state: 'downloading', progress: 0 });
  try {
    await installFirstModel(c.store, d, {
      keys: c.keys,
      maxBytes: cfg.model.maxDownloadBytes,
      timeoutMs: cfg.model.downloadTimeoutMs,
      ...(c.ca ? { ca: c.ca } : {}),
      ...(c.opts.signal ? { signal: c.opts.signal } : {}),
    });
  } catch (e) {
    const reason = isAgentError(e) && e.code === 'LW_AGENT_UPDATE_FAILED' ? 'HASH_MISMATCH' : 'DOWNLOAD_FAILED';
    report(s, d, { state: 'failed', reason: { code: reason, message: reasonOf(e).slice(0, 1024) } });
    c.opts.log('warn', `first model ${d.version} not installed: ${reasonOf(e)}`, { code: 'LW_AGENT_UPDATE_FAILED' });
    return false;
  }
  report(s, d, { state: 'loading' });
  c.opts.log('info', `model ${d.version} installed; starting`);
  return true;
}

/** Resolves once a model is installed as live in `config.dataDir` (then start the agent with build()). */
export async function waitForModel(opts: WaitOptions): Promise<string> {
  const cfg = opts.config;
  const now = opts.now ?? Date.now;
  const address: DeviceAddress = { site: cfg.site, line: cfg.line, device: cfg.device };
  const keys = trustedKeys(cfg);
  const ca = controllerCa(cfg);
  const store = new ModelStore(cfg.dataDir);
  const link = new MqttLink(
    cfg,
    address,
    new BdSeq(join(cfg.dataDir, 'state')),
    opts.mqttFactory ?? defaultMqttFactory,
  );
  const s: Session = { cfg, address, link, now };
  const started = performance.now();
  opts.log('warn', `LW_AGENT_WAITING_FOR_MODEL: no model installed; waiting for the controller's desired model`, {
    code: 'LW_AGENT_WAITING_FOR_MODEL',
  });
  let busy = false;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<string>((resolve, reject) => {
      const install = (d: DesiredModelMessage): void => {
        busy = true;
        void installDesired(s, d, { store, keys, opts, ...(ca ? { ca } : {}) }).then((ok) => {
          if (ok) resolve(d.version);
          else busy = false; // the next desired-model message (a retry or another version) may succeed
        });
      };
      opts.signal?.addEventListener('abort', () =>
        reject(new AgentError('LW_AGENT_WAITING_FOR_MODEL', 'stopped while waiting for a model')),
      );
      timer = setInterval(() => health(s, started), cfg.healthIntervalS * 1000);
      link.start({
        connected: (bd) => {
          opts.log('info', `connected to ${cfg.broker.url} (bdSeq ${bd}); waiting for a model`);
          announce(s, bd);
        },
        disconnected: () => undefined,
        message: (topic, payload) => {
          if (busy || payload.length === 0) return;
          try {
            const got = fromPublication(topic, payload);
            if (got.kind === 'desiredModel') install(got.message);
          } catch (e) {
            opts.log('warn', `LW_AGENT_BAD_MESSAGE: ${topic}: ${reasonOf(e)}`, { code: 'LW_AGENT_BAD_MESSAGE' });
          }
        },
        error: (code, message, details) => opts.log('warn', `${code}: ${message}`, { code, ...details }),
      });
    });
  } finally {
    if (timer) clearInterval(timer);
    // A clean goodbye: the agent proper connects next with its own birth.
    await link.stop(toPublication('death', address, { device: address.device, bdSeq: link.currentBdSeq, ts: now() }));
  }
}

/**
 * build(), or — when no model is installed and none is configured (LW_AGENT_NO_MODEL) — wait for the controller's
 * model first, then build().
 */
export async function buildWhenModel(
  opts: BuildOptions & { readonly log: Logger; readonly signal?: AbortSignal },
): Promise<Agent> {
  try {
    return await build(opts);
  } catch (e) {
    if (!isAgentError(e) || e.code !== 'LW_AGENT_NO_MODEL') throw e;
  }
  await waitForModel({
    config: opts.config,
    log: opts.log,
    ...(opts.mqttFactory ? { mqttFactory: opts.mqttFactory } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return build(opts);
}
