/**
 * A simulated line-side agent for rollout tests and the rollout benchmark: real MQTT (birth, status, health,
 * scores, flagged events, model reports; desiredModel subscribed) and real HTTP package downloads, verified like the
 * real agent does (sha256 of the archive, Ed25519 signature over the manifest with a trusted key, and the command's
 * own signature over the same manifest). Inference is a stub: each model version has a flag rate, and frames are
 * flagged deterministically at that rate (an accumulator, not a coin), so gate tests cannot flake.
 */
import { createHash, type KeyObject } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { MANIFEST_FILE, readPackage, verifyBytes, verifyEntries } from '@linewatch/model-package';
import {
  PROTOCOL_VERSION,
  fromPublication,
  toPublication,
  wireFormOf,
  type CodecOptions,
  type DesiredModelMessage,
  type ModelUpdateReason,
  type ModelUpdateState,
  type WireForm,
} from '@linewatch/protocol';
import { buildPackage, packPackage, type ManifestDraft } from '@linewatch/model-package';

export interface SimAgentOptions {
  mqttUrl: string;
  device: { id: string; site: string; line: string; secret: string | null };
  trustedKeys: KeyObject[];
  version: string;
  /** Fraction of frames the stub flags on a given model version. */
  flagRate: (version: string) => number;
  fps?: number;
  healthEveryMs?: number;
  images: { jpeg: Uint8Array; map: Uint8Array };
  /** Inference latency p99 (ms) the stub reports on a version (default 10). */
  latencyFor?: (version: string) => number;
  /** Versions whose install fails at this step (to test the install gate). */
  failOn?: (version: string) => ModelUpdateReason | null;
  /**
   * 2 (default): JSON payloads, protocolVersion in the birth. 1: an agent from before the JSON form — envelopes
   * only, no protocolVersion, and (like it) unable to read a JSON command: those are counted in `unreadable`.
   */
  protocol?: 1 | 2;
}

export class SimAgent {
  version: string;
  readonly received: DesiredModelMessage[] = [];
  readonly reports: Array<{ version: string; state: ModelUpdateState }> = [];
  downloads = 0;
  /** Wire form of every command and ack received, per kind. */
  readonly forms: Record<string, WireForm[]> = {};
  /** JSON payloads a protocol-1 agent could not have read. */
  unreadable = 0;
  /** Event ids acked by the controller. */
  readonly acked = new Set<string>();
  private readonly wire: CodecOptions;
  private client: MqttClient | null = null;
  private readonly cache = new Map<string, Uint8Array>();
  private timers: NodeJS.Timeout[] = [];
  private frame = 0;
  private seq = 0;
  private acc = 0;
  private latest: DesiredModelMessage | null = null;
  private work: Promise<void> = Promise.resolve();
  /** While a shadow window runs: the candidate's version and what it would have flagged on the same frames. */
  private shadow: { version: string; frames: number; liveFlags: number; shadowFlags: number; acc: number } | null =
    null;

  constructor(private readonly o: SimAgentOptions) {
    this.version = o.version;
    this.wire = o.protocol === 1 ? { wire: 'envelope' } : {};
    // A per-device phase, so N devices at rate r do not all flag on the same frame number (still deterministic).
    this.acc = createHash('sha256').update(o.device.id).digest().readUInt16BE(0) / 65536;
  }

  /** Frames scored so far (one score message each). */
  get framesSent(): number {
    return this.frame;
  }

  /** Points the agent at another broker (the controller restarted on a new port); call before start(). */
  retarget(mqttUrl: string): void {
    (this.o as { mqttUrl: string }).mqttUrl = mqttUrl;
  }

  get id(): string {
    return this.o.device.id;
  }
  private get addr() {
    return { site: this.o.device.site, line: this.o.device.line, device: this.o.device.id };
  }

  async start(): Promise<void> {
    const d = this.o.device;
    this.client = await mqtt.connectAsync(this.o.mqttUrl, {
      clientId: d.id,
      ...(d.secret !== null && { username: d.id, password: d.secret }),
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    (this.client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
    this.pub(
      toPublication(
        'birth',
        this.addr,
        {
          device: d.id,
          bdSeq: 0,
          ts: Date.now(),
          agentVersion: 'sim',
          modelVersion: this.version,
          executionProvider: 'cpu',
          ...(this.o.protocol !== 1 && { protocolVersion: PROTOCOL_VERSION }),
          cameras: [{ camera: 'cam-1', width: 32, height: 24, fps: this.o.fps ?? 20 }],
        },
        this.wire,
      ),
    );
    this.status();
    this.health();
    const prefix = `linewatch/v1/${d.site}/${d.line}/${d.id}`;
    await this.client.subscribeAsync([`${prefix}/cmd/model`, `${prefix}/ack`], { qos: 1 });
    const fps = this.o.fps ?? 20;
    const tickMs = 50;
    let owed = 0;
    this.timers.push(
      setInterval(() => {
        owed += (fps * tickMs) / 1000;
        for (; owed >= 1; owed--) this.oneFrame();
      }, tickMs),
    );
    this.timers.push(setInterval(() => this.health(), this.o.healthEveryMs ?? 500));
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.work.catch(() => undefined);
    await this.client?.endAsync();
    this.client = null;
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (payload.length === 0) return;
    const kind = topic.endsWith('/ack') ? 'ack' : 'desiredModel';
    const form = wireFormOf(payload);
    (this.forms[kind] ??= []).push(form);
    if (this.o.protocol === 1 && form === 'json') {
      this.unreadable += 1;
      return;
    }
    try {
      const r = fromPublication(topic, payload);
      if (r.kind === 'desiredModel') this.onDesired(r.message);
      if (r.kind === 'ack') for (const id of r.message.eventIds) this.acked.add(id);
    } catch {
      /* not for us */
    }
  }

  private pub(p: { topic: string; payload: Uint8Array; qos: 0 | 1 | 2; retain: boolean }): void {
    this.client?.publish(p.topic, Buffer.from(p.payload), { qos: p.qos, retain: p.retain });
  }

  private oneFrame(): void {
    const ts = Date.now();
    this.frame += 1;
    this.acc += this.o.flagRate(this.version);
    const flagged = this.acc >= 1;
    if (flagged) this.acc -= 1;
    const score = flagged ? 0.9 : 0.1;
    const sh = this.shadow;
    if (sh) {
      sh.frames += 1;
      if (flagged) sh.liveFlags += 1;
      sh.acc += this.o.flagRate(sh.version);
      if (sh.acc >= 1) {
        sh.acc -= 1;
        sh.shadowFlags += 1;
      }
    }
    const camera = { ...this.addr, camera: 'cam-1' };
    this.pub(toPublication('score', camera, { camera: 'cam-1', frame: this.frame, ts, score }, this.wire));
    if (flagged) {
      this.seq += 1;
      this.pub(
        toPublication(
          'event',
          { ...this.addr, camera: 'cam-1' },
          {
            eventId: `${this.id}-${this.seq}`.padEnd(8, '0'),
            device: this.id,
            camera: 'cam-1',
            seq: this.seq,
            ts,
            modelVersion: this.version,
            score,
            threshold: 0.5,
            jpeg: this.o.images.jpeg,
            anomalyMap: this.o.images.map,
          },
          this.wire,
        ),
      );
    }
  }

  status(): void {
    const sh = this.shadow;
    // The real agent puts its shadow statistics on the status note, in this format (apps/agent/src/status.ts).
    const note =
      sh && sh.frames > 0
        ? `shadow: ${sh.frames} frames, agreement ${(1 - Math.abs(sh.liveFlags - sh.shadowFlags) / sh.frames).toFixed(3)}, flag rate live ${(sh.liveFlags / sh.frames).toFixed(3)} / candidate ${(sh.shadowFlags / sh.frames).toFixed(3)}, mean |Δscore| 0.100`
        : undefined;
    this.pub(
      toPublication(
        'status',
        this.addr,
        {
          device: this.id,
          bdSeq: 0,
          ts: Date.now(),
          state: sh ? 'updating' : 'running',
          modelVersion: this.version,
          cameras: ['cam-1'],
          ...(note && { note }),
        },
        this.wire,
      ),
    );
  }

  health(): void {
    this.pub(
      toPublication(
        'health',
        this.addr,
        {
          device: this.id,
          ts: Date.now(),
          uptimeS: 1,
          modelVersion: this.version,
          executionProvider: 'cpu',
          cameras: [{ camera: 'cam-1', fps: this.o.fps ?? 20, framesDropped: 0 }],
          latencyMs: { p50: 5, p99: this.o.latencyFor?.(this.version) ?? 10 },
          outbox: { depth: 0, bytes: 0 },
        },
        this.wire,
      ),
    );
  }

  private report(d: DesiredModelMessage, state: ModelUpdateState, reason?: ModelUpdateReason, message?: string): void {
    this.reports.push({ version: d.version, state });
    this.pub(
      toPublication(
        'modelReport',
        this.addr,
        {
          device: this.id,
          rolloutId: d.rolloutId,
          version: d.version,
          state,
          ...(reason && { reason: { code: reason, ...(message && { message: message.slice(0, 1000) }) } }),
          liveVersion: this.version,
          ts: Date.now(),
        },
        this.wire,
      ),
    );
  }

  private onDesired(d: DesiredModelMessage): void {
    const same = this.latest && this.latest.rolloutId === d.rolloutId && this.latest.version === d.version;
    this.received.push(d);
    if (same) return; // redelivery or a refreshed link for the update already in hand
    this.latest = d;
    this.work = this.work.then(() => this.apply(d)).catch(() => undefined);
  }

  private async apply(d: DesiredModelMessage): Promise<void> {
    if (this.latest !== d) return this.report(d, 'failed', 'SUPERSEDED', 'a newer desired model arrived');
    if (d.version === this.version) return this.report(d, 'live');
    let bytes = d.rollback ? this.cache.get(d.version) : undefined;
    try {
      if (!bytes) {
        this.report(d, 'downloading');
        const res = await fetch(d.packageUrl);
        if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { reason: 'DOWNLOAD_FAILED' as const });
        bytes = new Uint8Array(await res.arrayBuffer());
        this.downloads += 1;
      }
      this.report(d, 'verifying');
      if (createHash('sha256').update(bytes).digest('hex') !== d.sha256)
        throw Object.assign(new Error('sha256'), { reason: 'HASH_MISMATCH' as const });
      const entries = readPackage(bytes);
      const v = verifyEntries(entries, this.o.trustedKeys);
      const manifest = entries.find((e) => e.path === MANIFEST_FILE)!.data;
      if (!verifyBytes(manifest, { scheme: 'ed25519', keyId: v.keyId, signature: d.signature }, this.o.trustedKeys)) {
        throw Object.assign(new Error('command signature'), { reason: 'SIGNATURE_INVALID' as const });
      }
      const planned = this.o.failOn?.(d.version);
      if (planned) throw Object.assign(new Error('planned failure'), { reason: planned });
      this.report(d, 'loading');
      if (this.latest !== d) return this.report(d, 'failed', 'SUPERSEDED', 'a newer desired model arrived');
      if (d.shadow && !d.rollback) {
        this.report(d, 'shadow');
        this.shadow = { version: d.version, frames: 0, liveFlags: 0, shadowFlags: 0, acc: this.acc };
        const t0 = Date.now();
        try {
          while (Date.now() - t0 < d.shadow.durationS * 1000 || this.shadow.frames < d.shadow.minFrames) {
            await new Promise((r) => setTimeout(r, 200));
            if (this.latest !== d || !this.client)
              return this.report(d, 'failed', 'SUPERSEDED', 'a newer desired model arrived');
            this.status();
          }
        } finally {
          this.shadow = null;
        }
      }
      this.cache.set(d.version, bytes);
      this.version = d.version;
      this.report(d, 'live');
      this.status();
      this.health();
    } catch (e) {
      const reason = (e as { reason?: ModelUpdateReason }).reason ?? 'MANIFEST_INVALID';
      this.report(d, 'failed', reason, (e as Error).message);
    }
  }
}

/**
 * A signed package with a stub model file (the controller never runs it; the sim agent only verifies it).
 * `model` replaces the stub model file (large random bytes: a package the S3 store uploads in parts).
 */
export function stubPackage(
  privateKey: KeyObject,
  publicKey: KeyObject,
  version: string,
  build: number,
  model: Uint8Array = new Uint8Array(4096).map((_, i) => (i * 31 + build) % 251),
): Buffer {
  const draft: ManifestDraft = {
    schemaVersion: 1,
    modelId: 'stub',
    version,
    build,
    createdAt: '2026-11-28T12:00:00Z',
    backbone: { id: 'none' },
    input: { width: 32, height: 32, channels: 3 },
    normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255, channelOrder: 'RGB', colour: 'rgb' },
    featureTaps: ['abs'],
    tokenGrid: { rows: 1, cols: 1 },
    preset: 'stub',
    metrics: {},
    threshold: { value: 0.5, method: 'f1-max' },
  };
  return Buffer.from(packPackage(buildPackage(draft, [{ path: 'model.onnx', data: model }], privateKey, publicKey)));
}
