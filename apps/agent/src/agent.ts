/**
 * Wires the agent together. `build()` takes every dependency with a real default (clock, MQTT client factory,
 * frame-source factory, session opener, outbox file system, logger) so tests can inject fakes for exactly the part
 * they exercise and run the rest for real.
 *
 * Parts are built in dependency order, each from parts already built: the status registry first (every later part
 * reports problems to it), the MQTT link before anything that publishes (it connects only in start(), where its
 * event handlers are given), the status publisher last (it reads the link, outbox, pipeline and updater).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { loadPublicKey } from '@linewatch/model-package';
import { buildTopic, toPublication, type DeviceAddress } from '@linewatch/protocol';
import type { AgentConfig } from './config.js';
import { BdSeq, SeqCounter } from './counters.js';
import { AgentError, reasonOf } from './errors.js';
import { createLogger } from './log.js';
import type { Logger } from './log.js';
import { loadStartupModel } from './model/bootstrap.js';
import type { ModelLoader } from './model/bootstrap.js';
import { defaultOpener, LoadedModel } from './model/loaded-model.js';
import type { SessionOpener } from './model/loaded-model.js';
import { ModelStore } from './model/store.js';
import { Updater } from './model/updater.js';
import { defaultMqttFactory, MqttLink } from './mqtt/link.js';
import type { MqttFactory } from './mqtt/link.js';
import { Outbox } from './outbox.js';
import type { OutboxFs } from './outbox.js';
import { Pipeline } from './pipeline.js';
import type { PipelineHooks } from './pipeline.js';
import { EventSender } from './sender.js';
import { createSource } from './sources/index.js';
import type { FrameSource, SourceFactory } from './sources/index.js';
import { SketchWindows } from './sketches.js';
import { StatusPublisher, StatusRegistry } from './status.js';
import { Thresholds } from './thresholds.js';
import { AgentRuntime, type Agent, type Parts } from './runtime.js';
import { agentLinePort, lineApi, lineHooks, verdictTopic } from './line/wire.js';

export { AGENT_VERSION } from './runtime.js';
export type { Agent };

export interface BuildOptions {
  readonly config: AgentConfig;
  readonly now?: () => number;
  readonly mqttFactory?: MqttFactory;
  readonly sourceFactory?: SourceFactory;
  readonly sessionOpener?: SessionOpener;
  readonly outboxFs?: OutboxFs;
  readonly logger?: Logger;
  /** Observation hook (tests, benchmark): every scored frame. */
  readonly onScored?: PipelineHooks['scored'];
}

export function trustedKeys(cfg: AgentConfig): KeyObject[] {
  return [cfg.model.trustedKeyPath, ...cfg.model.additionalTrustedKeyPaths].map((path) => {
    try {
      return loadPublicKey(path);
    } catch (e) {
      throw new AgentError('LW_AGENT_CONFIG_INVALID', `model trusted key ${path}: ${reasonOf(e)}`, { path });
    }
  });
}

/**
 * A model that opened on a later provider than the first configured one (CUDA wanted, CPU serving) keeps the agent
 * `degraded` with the reason: a GPU device silently on CPU is a capacity problem an operator must see.
 */
export function reportProvider(registry: StatusRegistry, wanted: string, model: LoadedModel): void {
  if (model.provider === wanted) {
    registry.resolve('provider', `execution provider ${wanted} in use again`);
    return;
  }
  const failed = model.attempts.find((a) => a.provider === wanted && !a.ok);
  registry.raise(
    'provider',
    'LW_AGENT_PROVIDER_FALLBACK',
    `${wanted} unavailable (${failed?.reason ?? 'not tried'}); running on ${model.provider}`,
    { wanted, provider: model.provider },
  );
}

/** Opens a model with the configured inference settings; lost and restored sessions go to the status registry. */
function modelLoader(cfg: AgentConfig, registry: StatusRegistry, opener: SessionOpener): ModelLoader {
  const { deviceId, tensorrt } = cfg.inference;
  return (version, manifest, bytes) =>
    LoadedModel.load(
      version,
      manifest,
      bytes,
      {
        executionProviders: cfg.inference.executionProviders,
        warmUpRuns: cfg.inference.warmUpRuns,
        sessions: cfg.inference.sessions,
        sessionEvents: {
          lost: (reason: string) =>
            registry.raise('inference', 'LW_AGENT_INFERENCE_FAILED', `inference session lost, reopening: ${reason}`),
          restored: () => void registry.resolve('inference', 'inference sessions open again'),
        },
        ...(cfg.inference.intraOpThreads !== undefined ? { intraOpThreads: cfg.inference.intraOpThreads } : {}),
        ...(deviceId !== undefined ? { deviceId } : {}),
        ...(tensorrt ? { tensorrt } : {}),
      },
      opener,
    );
}

async function startupModel(
  cfg: AgentConfig,
  store: ModelStore,
  trusted: readonly KeyObject[],
  load: ModelLoader,
  log: Logger,
): Promise<LoadedModel> {
  const model = await loadStartupModel(store, trusted, cfg.model.initialPackage, load, log);
  try {
    store.prune();
  } catch {
    /* housekeeping only */
  }
  log(
    'info',
    `model ${model.version} on ${model.provider}: ${model.plan.sessions} session(s) × ${model.plan.intraOpThreads ?? 'default'} thread(s)`,
    { attempts: model.attempts },
  );
  return model;
}

function openOutbox(
  cfg: AgentConfig,
  address: DeviceAddress,
  registry: StatusRegistry,
  fs: OutboxFs | undefined,
): Outbox {
  const outbox = new Outbox({
    dir: join(cfg.dataDir, 'outbox'),
    maxBytes: cfg.outbox.maxBytes,
    policy: cfg.outbox.policy,
    topicFor: (camera) => buildTopic('event', { ...address, camera }),
    ...(fs ? { fs } : {}),
    onProblem: (code, message, details) => registry.raise('outbox', code, message, details),
  });
  outbox.open();
  return outbox;
}

function pipelineHooks(
  p: Pick<Parts, 'address' | 'link' | 'outbox' | 'sender' | 'log'>,
  seq: SeqCounter,
  onScored: BuildOptions['onScored'],
): PipelineHooks {
  return {
    publishScore: (camera, msg) => {
      try {
        p.link.publishLossy(toPublication('score', { ...p.address, camera }, msg));
      } catch (e) {
        p.log('warn', `score not published: ${reasonOf(e)}`);
      }
    },
    storeEvent: (ev) => {
      p.outbox.add(ev);
      p.sender.pump();
    },
    nextSeq: () => seq.take(),
    sampleWanted: () => p.outbox.roomForOptional,
    problem: (code, message, details) => p.log('warn', `${code}: ${message}`, { code, ...details }),
    ...(onScored ? { scored: onScored } : {}),
  };
}

/** Score sketch windows, published as `scoreSketch` (QoS 1) while connected; a window waits out an outage. */
function sketchWindows(cfg: AgentConfig, address: DeviceAddress, link: MqttLink, log: Logger): SketchWindows {
  return new SketchWindows(
    cfg.cameras.map((c) => c.id),
    (camera, m) => {
      if (!link.connected) return false;
      try {
        void link.publish(toPublication('scoreSketch', { ...address, camera }, m));
      } catch (e) {
        log('warn', `score sketch not published: ${reasonOf(e)}`);
      }
      return true;
    },
  );
}

/** The controller's CA (config `controller.caFile`), read at start-up so a missing file fails now, not mid-update. */
export function controllerCa(cfg: AgentConfig): Buffer | undefined {
  const file = cfg.controller.caFile;
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new AgentError('LW_AGENT_TLS_FILE', `controller.caFile ${file}: ${reasonOf(e)}`, { file });
  }
}

function newUpdater(
  p: Pick<Parts, 'cfg' | 'address' | 'link' | 'pipeline' | 'registry' | 'log' | 'now'>,
  store: ModelStore,
  trusted: readonly KeyObject[],
  load: ModelLoader,
): Updater {
  const { cfg, address, link, pipeline, registry, log } = p;
  const ca = controllerCa(cfg);
  return new Updater({
    ...(ca ? { ca } : {}),
    device: address.device,
    store,
    trustedKeys: trusted,
    maxDownloadBytes: cfg.model.maxDownloadBytes,
    downloadTimeoutMs: cfg.model.downloadTimeoutMs,
    live: () => pipeline.model,
    load,
    swap: (m) => {
      reportProvider(registry, cfg.inference.executionProviders[0]!, m);
      return pipeline.swap(m);
    },
    startShadow: (m) => pipeline.startShadow(m),
    stopShadow: () => pipeline.stopShadow(),
    shadowFrames: () => pipeline.shadowStats?.frames ?? 0,
    report: (r) => {
      log(r.state === 'failed' ? 'warn' : 'info', `model update ${r.version}: ${r.state}`, {
        reason: r.reason,
        progress: r.progress,
      });
      void link.publish(toPublication('modelReport', address, r));
      registry.updateReported(r.state);
    },
    idle: () => registry.changed(),
    log: (level, msg, details) => log(level, msg, details),
    now: p.now,
  });
}

export async function build(opts: BuildOptions): Promise<Agent> {
  const cfg = opts.config;
  const now = opts.now ?? Date.now;
  const log = opts.logger ?? createLogger(cfg.logLevel, { identity: cfg });
  const address: DeviceAddress = { site: cfg.site, line: cfg.line, device: cfg.device };
  const started = performance.now();
  const registry = new StatusRegistry(log);
  const trusted = trustedKeys(cfg);
  const store = new ModelStore(cfg.dataDir);
  const load = modelLoader(cfg, registry, opts.sessionOpener ?? defaultOpener);
  const model = await startupModel(cfg, store, trusted, load, log);
  reportProvider(registry, cfg.inference.executionProviders[0]!, model);
  const stateDir = join(cfg.dataDir, 'state');
  const outbox = openOutbox(cfg, address, registry, opts.outboxFs);
  const seq = new SeqCounter(stateDir, outbox.maxSeqOnDisk + 1);
  const link = new MqttLink(cfg, address, new BdSeq(stateDir), opts.mqttFactory ?? defaultMqttFactory, now);
  const sender = new EventSender(outbox, link, {
    maxInFlight: cfg.outbox.maxInFlight,
    resendAfterMs: cfg.outbox.resendAfterMs,
  });
  const thresholds = new Thresholds(new Map(cfg.cameras.map((c) => [c.id, c.threshold])));
  const sources = new Map(
    cfg.cameras.map((cam): [string, FrameSource] => [cam.id, (opts.sourceFactory ?? createSource)(cam, cfg)]),
  );
  const line = agentLinePort({ cfg, sources, registry, pipeline: () => pipeline, log });
  const sketches = sketchWindows(cfg, address, link, log);
  const pipeline = new Pipeline({
    address,
    cameraIds: cfg.cameras.map((c) => c.id),
    model,
    thresholds,
    decimation: cfg.scoreDecimation,
    hooks: {
      ...pipelineHooks({ address, link, outbox, sender, log }, seq, opts.onScored),
      ...lineHooks(line),
      counted: (camera, score, threshold, version, ts, image) =>
        sketches.add(camera, score, threshold, version, ts, image),
    },
    now,
    sampleIntervalMs: cfg.normalSampleIntervalS * 1000,
  });
  const updater = newUpdater({ cfg, address, link, pipeline, registry, log, now }, store, trusted, load);
  const status = new StatusPublisher({
    registry,
    address,
    cameras: cfg.cameras.map((c) => c.id),
    outboxPolicy: cfg.outbox.policy,
    link,
    outbox,
    pipeline,
    updater,
    now,
    log,
  });
  return new AgentRuntime({
    cfg,
    now,
    log,
    address,
    started,
    registry,
    status,
    outbox,
    sender,
    link,
    pipeline,
    updater,
    thresholds,
    sketches,
    sources,
    line,
    verdicts: verdictTopic({ cfg, sources, log }, address, line, (pub) => link.publish(pub), now),
    api: lineApi({ cfg, sources, registry, pipeline: () => pipeline, log }, line, thresholds),
  });
}
