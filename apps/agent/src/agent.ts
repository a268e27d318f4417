/**
 * Wires the agent together. `build()` takes every dependency with a real default (clock, MQTT client factory,
 * frame-source factory, session opener, outbox file system, logger) so tests can inject fakes for exactly the part
 * they exercise and run the rest for real.
 */
import { join } from 'node:path';
import { loadPublicKey } from '@linewatch/model-package';
import { buildTopic, fromPublication, isProtocolError, parseTopic, toPublication } from '@linewatch/protocol';
import type { DeviceAddress, Publication, StatusMessage } from '@linewatch/protocol';
import type { AgentConfig } from './config.js';
import { BdSeq, SeqCounter } from './counters.js';
import type { AgentErrorCode } from './errors.js';
import { AgentError, reasonOf } from './errors.js';
import { createLogger } from './log.js';
import type { Logger } from './log.js';
import { loadStartupModel } from './model/bootstrap.js';
import { defaultOpener, LoadedModel } from './model/loaded-model.js';
import type { SessionOpener } from './model/loaded-model.js';
import { ModelStore } from './model/store.js';
import { Updater } from './model/updater.js';
import { defaultMqttFactory, MqttLink } from './mqtt/link.js';
import type { MqttFactory } from './mqtt/link.js';
import { Outbox } from './outbox.js';
import type { OutboxFs } from './outbox.js';
import type { PipelineHooks } from './pipeline.js';
import { Pipeline } from './pipeline.js';
import { EventSender } from './sender.js';
import { createSource } from './sources/index.js';
import type { FrameSource, SourceFactory } from './sources/index.js';
import { healthMessage } from './health.js';
import { Thresholds } from './thresholds.js';

export const AGENT_VERSION = '0.1.0';

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

export interface Agent {
  readonly config: AgentConfig;
  readonly address: DeviceAddress;
  readonly pipeline: Pipeline;
  readonly outbox: Outbox;
  readonly updater: Updater;
  readonly link: MqttLink;
  readonly sources: ReadonlyMap<string, FrameSource>;
  /** Active problems by key (camera id, 'outbox', …) with their code: what makes the status `degraded`. */
  readonly problems: ReadonlyMap<string, { code: AgentErrorCode; message: string }>;
  start(): void;
  stop(): Promise<void>;
}

export async function build(opts: BuildOptions): Promise<Agent> {
  const cfg = opts.config;
  const now = opts.now ?? Date.now;
  const log = opts.logger ?? createLogger(cfg.logLevel);
  const address: DeviceAddress = { site: cfg.site, line: cfg.line, device: cfg.device };
  const started = performance.now();
  const problems = new Map<string, { code: AgentErrorCode; message: string }>();
  const problem = (key: string, code: AgentErrorCode, message: string, details?: Record<string, unknown>): void => {
    problems.set(key, { code, message });
    log('warn', `${code}: ${message}`, { code, ...details });
    scheduleStatus();
  };

  let trusted;
  try {
    trusted = [loadPublicKey(cfg.model.trustedKeyPath)];
  } catch (e) {
    throw new AgentError('LW_AGENT_CONFIG_INVALID', `model.trustedKeyPath: ${reasonOf(e)}`, { path: cfg.model.trustedKeyPath });
  }
  const stateDir = join(cfg.dataDir, 'state');
  const store = new ModelStore(cfg.dataDir);
  const opener = opts.sessionOpener ?? defaultOpener;
  const loadModel = (version: string, manifest: Parameters<typeof LoadedModel.load>[1], bytes: Uint8Array): Promise<LoadedModel> =>
    LoadedModel.load(version, manifest, bytes, {
      executionProviders: cfg.inference.executionProviders,
      warmUpRuns: cfg.inference.warmUpRuns,
      sessions: cfg.inference.sessions,
      sessionEvents: {
        lost: (reason: string) => problem('inference', 'LW_AGENT_INFERENCE_FAILED', `inference session lost, reopening: ${reason}`),
        restored: () => {
          if (problems.delete('inference')) {
            log('info', 'inference sessions open again');
            scheduleStatus();
          }
        },
      },
      ...(cfg.inference.intraOpThreads !== undefined ? { intraOpThreads: cfg.inference.intraOpThreads } : {}),
    }, opener);
  const model = await loadStartupModel(store, trusted, cfg.model.initialPackage, loadModel, log);
  try {
    store.prune();
  } catch {
    /* housekeeping only */
  }
  log('info', `model ${model.version} on ${model.provider}: ${model.plan.sessions} session(s) × ${model.plan.intraOpThreads ?? 'default'} thread(s)`, { attempts: model.attempts });

  const outbox = new Outbox({
    dir: join(cfg.dataDir, 'outbox'),
    maxBytes: cfg.outbox.maxBytes,
    policy: cfg.outbox.policy,
    topicFor: (camera) => buildTopic('event', { ...address, camera }),
    ...(opts.outboxFs ? { fs: opts.outboxFs } : {}),
    onProblem: (code, message, details) => problem('outbox', code, message, details),
    onReady: () => sender.pump(),
  });
  outbox.open();
  const seq = new SeqCounter(stateDir, outbox.maxSeqOnDisk + 1);
  const bdSeq = new BdSeq(stateDir);
  const thresholds = new Thresholds(new Map(cfg.cameras.map((c) => [c.id, c.threshold])));

  // eslint-disable-next-line prefer-const
  let link: MqttLink;
  // eslint-disable-next-line prefer-const
  let sender: EventSender;
  const pipeline = new Pipeline(address, cfg.cameras.map((c) => c.id), model, thresholds, cfg.scoreDecimation, {
    publishScore: (camera, msg) => {
      try {
        link.publishLossy(toPublication('score', { ...address, camera }, msg));
      } catch (e) {
        log('warn', `score not published: ${reasonOf(e)}`);
      }
    },
    storeEvent: (ev) => {
      outbox.add(ev);
      sender.pump();
    },
    nextSeq: () => seq.take(),
    sampleWanted: () => outbox.roomForOptional,
    problem: (code, message, details) => log('warn', `${code}: ${message}`, { code, ...details }),
    ...(opts.onScored ? { scored: opts.onScored } : {}),
  }, now, cfg.normalSampleIntervalS * 1000);

  const publish = (p: Publication): void => void link.publish(p);
  const statusMessage = (state?: StatusMessage['state']): StatusMessage => {
    const notes = [...problems.entries()].map(([k, v]) => `${k}: ${v.code} ${v.message}`);
    if (outbox.stats.dropped > 0) notes.unshift(`outbox dropped ${outbox.stats.dropped} events (policy ${cfg.outbox.policy})`);
    const degraded = notes.length > 0;
    // Shadow statistics ride on the status note while the window runs (the protocol has no dedicated field).
    const sh = pipeline.shadowStats;
    if (sh && sh.frames > 0) {
      notes.unshift(`shadow: ${sh.frames} frames, agreement ${(sh.agree / sh.frames).toFixed(3)}, flag rate live ${(sh.liveFlags / sh.frames).toFixed(3)} / candidate ${(sh.shadowFlags / sh.frames).toFixed(3)}, mean |Δscore| ${sh.meanAbsDiff.toPrecision(3)}`);
    }
    const note = notes.join('; ').slice(0, 512);
    return {
      device: address.device, bdSeq: link.currentBdSeq, ts: now(),
      state: state ?? (updater.busy ? 'updating' : degraded ? 'degraded' : 'running'),
      modelVersion: pipeline.model.version, cameras: cfg.cameras.map((c) => c.id),
      ...(note ? { note } : {}),
    };
  };
  let statusTimer: NodeJS.Timeout | undefined;
  let lastStatusState: StatusMessage['state'] | undefined;
  function publishStatus(state?: StatusMessage['state']): void {
    try {
      const m = statusMessage(state);
      lastStatusState = m.state;
      publish(toPublication('status', address, m));
    } catch (e) {
      log('warn', `status not published: ${reasonOf(e)}`);
    }
  }
  function scheduleStatus(): void {
    if (statusTimer || !link) return;
    statusTimer = setTimeout(() => {
      statusTimer = undefined;
      if (link.connected) publishStatus();
    }, 100);
  }

  const updater = new Updater({
    device: address.device,
    store,
    trustedKeys: trusted,
    maxDownloadBytes: cfg.model.maxDownloadBytes,
    downloadTimeoutMs: cfg.model.downloadTimeoutMs,
    live: () => pipeline.model,
    load: loadModel,
    swap: (m) => pipeline.swap(m),
    startShadow: (m) => pipeline.startShadow(m),
    stopShadow: () => pipeline.stopShadow(),
    shadowFrames: () => pipeline.shadowStats?.frames ?? 0,
    report: (r) => {
      log(r.state === 'failed' ? 'warn' : 'info', `model update ${r.version}: ${r.state}`, { reason: r.reason, progress: r.progress });
      publish(toPublication('modelReport', address, r));
      // Entering `updating` is published at once (an update can finish within the status debounce).
      if (r.state !== 'live' && r.state !== 'failed' && lastStatusState !== 'updating' && link.connected) publishStatus();
      else scheduleStatus();
    },
    idle: () => scheduleStatus(),
    log: (level, msg, details) => log(level, msg, details),
    now,
  });

  const onMessage = (topic: string, payload: Buffer): void => {
    try {
      if (payload.length === 0) {
        // An empty retained payload clears a camera's threshold override (MQTT semantics, not a message).
        const t = parseTopic(topic);
        if (t.kind === 'threshold' && t.camera) thresholds.clear(t.camera);
        return;
      }
      const got = fromPublication(topic, payload);
      if (got.kind === 'ack') {
        if (outbox.ack(got.message.eventIds) > 0) {
          // A full outbox stops being a problem once it has drained to half; a failing disk once writes succeed.
          const code = problems.get('outbox')?.code;
          if ((code === 'LW_AGENT_OUTBOX_FULL' && outbox.stats.bytes < cfg.outbox.maxBytes / 2) || (code === 'LW_AGENT_OUTBOX_DISK' && outbox.lastWriteOk)) {
            problems.delete('outbox');
            scheduleStatus();
          }
          sender.pump();
        }
      } else if (got.kind === 'threshold') {
        if (!thresholds.apply(got.message)) log('debug', `threshold for ${got.message.camera} ignored (stale revision or unknown camera)`);
      } else if (got.kind === 'desiredModel') {
        updater.onDesired(got.message);
      }
    } catch (e) {
      log('warn', `LW_AGENT_BAD_MESSAGE: ${topic}: ${reasonOf(e)}`, { code: 'LW_AGENT_BAD_MESSAGE', protocol: isProtocolError(e) ? e.code : undefined });
    }
  };

  link = new MqttLink(cfg, address, bdSeq, {
    connected: (bd) => {
      log('info', `connected to ${cfg.broker.url} (bdSeq ${bd})`);
      publish(toPublication('birth', address, {
        device: address.device, bdSeq: bd, ts: now(), agentVersion: AGENT_VERSION, modelVersion: pipeline.model.version,
        executionProvider: pipeline.model.provider,
        cameras: [...sources.values()].map((s) => ({ camera: s.camera, width: s.width, height: s.height, fps: s.fps })),
      }));
      publishStatus();
      sender.onConnect();
    },
    disconnected: () => undefined,
    message: onMessage,
    error: (code, message) => log('warn', `${code}: ${message}`, { code }),
  }, opts.mqttFactory ?? defaultMqttFactory, now);
  sender = new EventSender(outbox, link, { maxInFlight: cfg.outbox.maxInFlight, resendAfterMs: cfg.outbox.resendAfterMs });

  const sources = new Map<string, FrameSource>();
  for (const cam of cfg.cameras) sources.set(cam.id, (opts.sourceFactory ?? createSource)(cam, cfg));

  let healthTimer: NodeJS.Timeout | undefined;
  let running = false;

  return {
    config: cfg, address, pipeline, outbox, updater, link, sources, problems,
    start() {
      if (running) return;
      running = true;
      pipeline.start();
      for (const [id, src] of sources) {
        const slot = pipeline.cameras.get(id)!.slot;
        src.start({
          frame: (img) => slot.put(img),
          pullWith: (pull) => slot.pullWith(pull),
          problem: (code, message) => problem(id, code, `camera ${id}: ${message}`),
          recovered: () => {
            if (problems.delete(id)) {
              log('info', `camera ${id} delivering again`);
              scheduleStatus();
            }
          },
        });
      }
      link.start();
      sender.start();
      healthTimer = setInterval(() => {
        if (!link.connected) return;
        try {
          link.publishLossy(toPublication('health', address, healthMessage(address.device, now(), started, pipeline, outbox)));
        } catch (e) {
          log('warn', `health not published: ${reasonOf(e)}`);
        }
      }, cfg.healthIntervalS * 1000);
    },
    async stop() {
      if (!running) return;
      running = false;
      if (healthTimer) clearInterval(healthTimer);
      if (statusTimer) clearTimeout(statusTimer);
      await Promise.all([...sources.values()].map((s) => s.stop()));
      await pipeline.stop();
      await outbox.flush(); // every flagged frame is on disk before we say goodbye
      await updater.idle().catch(() => undefined);
      sender.stop();
      if (link.connected) await link.publish(toPublication('status', address, statusMessage('stopping')));
      lastStatusState = 'stopping';
      // A clean DISCONNECT suppresses the will, so say goodbye explicitly (Sparkplug does the same).
      await link.stop(toPublication('death', address, { device: address.device, bdSeq: link.currentBdSeq, ts: now() }));
      await pipeline.model.release();
    },
  };
}
