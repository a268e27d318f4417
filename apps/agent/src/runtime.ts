/**
 * The running agent over the parts build() made: start() starts cameras, pipeline, MQTT link and event sender;
 * stop() drains them in order, so every flagged frame is on disk and the broker hears a goodbye before exit.
 */
import type { DeviceAddress, BirthMessage } from '@linewatch/protocol';
import { PROTOCOL_VERSION, toPublication } from '@linewatch/protocol';
import type { AgentConfig } from './config.js';
import { reasonOf } from './errors.js';
import { onMessage } from './handlers.js';
import type { InboundDeps } from './handlers.js';
import { healthMessage } from './health.js';
import type { Logger } from './log.js';
import type { Updater } from './model/updater.js';
import type { MqttLink } from './mqtt/link.js';
import type { Outbox } from './outbox.js';
import type { Pipeline } from './pipeline.js';
import type { EventSender } from './sender.js';
import type { FrameSource } from './sources/index.js';
import type { Problem, StatusPublisher, StatusRegistry } from './status.js';
import type { SketchWindows } from './sketches.js';
import type { Thresholds } from './thresholds.js';
import type { AgentLinePort } from './line/agent-port.js';
import type { LinePort } from './line/port.js';
import { attachOpcUa } from './line/opcua/attach.js';
import type { OpcUaAttachment } from './line/opcua/attach.js';
import type { LineApiServer } from './line/api/serve.js';
import type { VerdictTopic } from './line/verdict-topic.js';

export const AGENT_VERSION = '0.1.0';

export interface Agent {
  readonly config: AgentConfig;
  readonly address: DeviceAddress;
  readonly pipeline: Pipeline;
  readonly outbox: Outbox;
  readonly updater: Updater;
  readonly link: MqttLink;
  readonly sources: ReadonlyMap<string, FrameSource>;
  /** The agent's face towards line software (verdicts, counters, captures): what line adapters are written against. */
  readonly line: LinePort;
  /** The OPC UA server when opcua.enabled, from start() on; `ready` settles with its endpoint (or undefined: failed). */
  readonly opcua: OpcUaAttachment | undefined;
  /** The local inference API, when integration.api.enabled; `listening` says where once started. */
  readonly lineApi: LineApiServer | undefined;
  /** Active problems by key (camera id, 'outbox', …) with their code: what makes the status `degraded`. */
  readonly problems: ReadonlyMap<string, Problem>;
  start(): void;
  stop(): Promise<void>;
}

/** Everything build() made, as start() and stop() need it. */
export interface Parts {
  readonly cfg: AgentConfig;
  readonly now: () => number;
  readonly log: Logger;
  readonly address: DeviceAddress;
  /** performance.now() at build, for the health message's uptime. */
  readonly started: number;
  readonly registry: StatusRegistry;
  readonly status: StatusPublisher;
  readonly outbox: Outbox;
  readonly sender: EventSender;
  readonly link: MqttLink;
  readonly pipeline: Pipeline;
  readonly updater: Updater;
  readonly thresholds: Thresholds;
  /** Per-camera score sketch windows (scoreSketch messages, every `sketchIntervalS`). */
  readonly sketches: SketchWindows;
  readonly sources: ReadonlyMap<string, FrameSource>;
  readonly line: AgentLinePort;
  /** The MQTT verdict topic; undefined when integration.verdicts.enabled is false. */
  readonly verdicts: VerdictTopic | undefined;
  readonly api: LineApiServer | undefined;
}

function birthMessage(p: Parts, bdSeq: number): BirthMessage {
  return {
    device: p.address.device,
    bdSeq,
    ts: p.now(),
    agentVersion: AGENT_VERSION,
    modelVersion: p.pipeline.model.version,
    executionProvider: p.pipeline.model.provider,
    // Tells the controller to answer in JSON (a birth without it is a protocol-1 agent's: envelopes only).
    protocolVersion: PROTOCOL_VERSION,
    cameras: [...p.sources.values()].map((s) => ({ camera: s.camera, width: s.width, height: s.height, fps: s.fps })),
  };
}

/** start()/stop() over the built parts. */
export class AgentRuntime implements Agent {
  readonly config: AgentConfig;
  readonly address: DeviceAddress;
  readonly pipeline: Pipeline;
  readonly outbox: Outbox;
  readonly updater: Updater;
  readonly link: MqttLink;
  readonly sources: ReadonlyMap<string, FrameSource>;
  readonly line: LinePort;
  readonly lineApi: LineApiServer | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private sketchTimer: NodeJS.Timeout | undefined;
  private opcuaServer: OpcUaAttachment | undefined;
  private running = false;

  constructor(private readonly p: Parts) {
    this.config = p.cfg;
    this.address = p.address;
    this.pipeline = p.pipeline;
    this.outbox = p.outbox;
    this.updater = p.updater;
    this.link = p.link;
    this.sources = p.sources;
    this.line = p.line;
    this.lineApi = p.api;
  }

  get opcua(): OpcUaAttachment | undefined {
    return this.opcuaServer;
  }

  get problems(): ReadonlyMap<string, Problem> {
    return this.p.registry.problems;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.p.verdicts?.start();
    this.p.pipeline.start();
    this.startSources();
    this.startLink();
    this.p.sender.start();
    this.startOpcUa();
    this.startApi();
    this.healthTimer = setInterval(() => this.publishHealth(), this.p.cfg.healthIntervalS * 1000);
    this.sketchTimer = setInterval(() => this.p.sketches.flush(), this.p.cfg.sketchIntervalS * 1000);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const { link, pipeline, address, now } = this.p;
    if (this.healthTimer) clearInterval(this.healthTimer);
    if (this.sketchTimer) clearInterval(this.sketchTimer);
    this.p.status.cancel();
    await this.opcuaServer?.stop(); // no OPC UA client reads or captures from a half-stopped agent
    await this.p.api?.close(); // no request is answered by a half-stopped agent
    await Promise.all([...this.p.sources.values()].map((s) => s.stop()));
    await pipeline.stop();
    this.p.sketches.flush(); // the last partial window, while the link is still up
    this.p.line.close(); // captures whose frame never came fail now; in-flight ones were answered above
    this.p.verdicts?.stop();
    await this.p.outbox.flush(); // every flagged frame is on disk before we say goodbye
    await this.p.updater.idle().catch(() => undefined);
    this.p.sender.stop();
    await this.p.status.stopping();
    // A clean DISCONNECT suppresses the will, so say goodbye explicitly (Sparkplug does the same).
    await link.stop(toPublication('death', address, { device: address.device, bdSeq: link.currentBdSeq, ts: now() }));
    await pipeline.model.release();
  }

  /** A local API that cannot listen leaves the agent running (cameras and MQTT matter more), degraded. */
  private startApi(): void {
    this.p.api?.start().then(
      () => this.p.registry.resolve('api'),
      (e: unknown) => this.p.registry.raise('api', 'LW_AGENT_API_LISTEN', `local inference API: ${reasonOf(e)}`),
    );
  }

  /** OPC UA starts in the background: a failed start leaves the agent scoring, degraded with the code. */
  private startOpcUa(): void {
    const { cfg, address, log, registry } = this.p;
    this.opcuaServer = attachOpcUa(this.p.line, {
      config: cfg.opcua,
      dataDir: cfg.dataDir,
      identity: address,
      log,
      problem: (code, message) => registry.raise('opcua', code, message),
    });
  }

  private startSources(): void {
    const { pipeline, registry } = this.p;
    for (const [id, src] of this.p.sources) {
      const slot = pipeline.cameras.get(id)!.slot;
      src.start({
        frame: (img) => void slot.put(img),
        captured: (img, capture) => slot.put(img, capture) !== undefined,
        pullWith: (pull) => slot.pullWith(pull),
        problem: (code, message) => registry.raise(id, code, `camera ${id}: ${message}`),
        recovered: () => void registry.resolve(id, `camera ${id} delivering again`),
      });
    }
  }

  private startLink(): void {
    const { cfg, link, log, address } = this.p;
    const inbound: InboundDeps = {
      outbox: this.p.outbox,
      outboxMaxBytes: cfg.outbox.maxBytes,
      sender: this.p.sender,
      thresholds: this.p.thresholds,
      updater: this.p.updater,
      registry: this.p.registry,
      line: this.p.line,
      log,
    };
    link.start({
      connected: (bd, outage) => {
        if (!outage) log('info', `connected to ${cfg.broker.url} (bdSeq ${bd})`);
        else
          log(
            'info',
            `connected to ${cfg.broker.url} (bdSeq ${bd}) after ${(outage.downMs / 1000).toFixed(1)} s unreachable, ${outage.attempts} attempts`,
            { ...outage },
          );
        void link.publish(toPublication('birth', address, birthMessage(this.p, bd)));
        this.p.status.publish();
        this.p.sender.onConnect();
      },
      disconnected: () => undefined,
      message: (topic, payload) => onMessage(inbound, topic, payload),
      error: (code, message, details) => log('warn', `${code}: ${message}`, { code, ...details }),
    });
  }

  private publishHealth(): void {
    const { link, address, pipeline, outbox } = this.p;
    if (!link.connected) return;
    try {
      link.publishLossy(
        toPublication(
          'health',
          address,
          healthMessage(address.device, this.p.now(), this.p.started, pipeline, outbox, this.p.registry.problems),
        ),
      );
    } catch (e) {
      this.p.log('warn', `health not published: ${reasonOf(e)}`);
    }
  }
}
