/**
 * The inference pipeline: newest frame → live model → score (QoS 0, decimated) → if above the camera's threshold,
 * an event (JPEG + anomaly-map PNG) into the durable outbox. When normal sampling is on, at most one UNflagged frame
 * per camera per interval takes the same path marked `sampled: true` (normal training data, issue #7).
 *
 * One dispatcher feeds the model: it reserves an input buffer (LoadedModel holds one per session of its pool, or two
 * for a single session; sessions run in worker threads and preprocess there), then takes the newest pending frame
 * of the next camera in round-robin order and hands it over. Choosing the frame only once a buffer is free means
 * waiting never makes a result staler, and no camera holds a buffer while its own camera is silent. Results are
 * handled per camera in frame order (sessions of a pool may finish out of order). The live model is read once per
 * frame, so a swap takes effect between frames and no frame is skipped; a shadow candidate, when set, scores the
 * same frames without affecting flags.
 */
import { randomUUID } from 'node:crypto';
import { toPublication } from '@linewatch/protocol';
import type { DeviceAddress, EventMessage, ScoreMessage } from '@linewatch/protocol';
import type { AgentErrorCode } from './errors.js';
import { reasonOf } from './errors.js';
import { encodeEvent, startEncoder } from './encode/encoder.js';
import type { InferenceResult, LoadedModel, Reservation } from './model/loaded-model.js';
import type { RgbImage } from '@linewatch/vision';
import type { Frame } from './sources/frame.js';
import { FrameSlot } from './sources/frame.js';
import { LatencyWindow, RateCounter } from './stats.js';
import type { Thresholds } from './thresholds.js';

/** Events being encoded per camera before its results wait (each holds one frame in memory). */
const MAX_ENCODING = 8;
const MAX_SCORE = 1e9;

export interface ShadowStats {
  frames: number;
  agree: number;
  liveFlags: number;
  shadowFlags: number;
  meanAbsDiff: number;
}

export interface CameraState {
  readonly camera: string;
  readonly slot: FrameSlot;
  readonly rate: RateCounter;
  scored: number;
  flagged: number;
  /** Unflagged frames sent as `sampled: true` events (not counted in `flagged`). */
  sampled: number;
  /** Clock time of the last sample, or of start(): the first sample comes one interval after start. */
  lastSampleAt: number;
  lastFrameIndex: number;
  /** Frames that never reached a model: dropped in the slot + skipped as invalid. */
  invalid: number;
  encoding: number;
  chain: Promise<void>;
  /** Frames submitted to a model whose results are not handled yet, and the promise chain handling them in order. */
  pending: number;
  results: Promise<void>;
}

export interface PipelineHooks {
  publishScore(camera: string, msg: ScoreMessage): void;
  storeEvent(ev: { eventId: string; seq: number; camera: string; topic: string; payload: Uint8Array }): void;
  nextSeq(): number;
  problem(code: AgentErrorCode, message: string, details?: Record<string, unknown>): void;
  /** Observation point for tests and the benchmark. */
  scored?(
    camera: string,
    frame: Frame,
    result: InferenceResult,
    modelVersion: string,
    shadowScore: number | undefined,
  ): void;
  /** Whether an optional normal sample may be queued now (false while the outbox is filling up). Default: yes. */
  sampleWanted?(): boolean;
  /** Every scored frame with the threshold it was judged by, in frame order per camera (verdicts for the line). */
  judged?(s: JudgedFrame): void;
  /** Every scored frame's score, for the per-camera score sketches (sketches.ts); must not allocate. */
  counted?(camera: string, score: number, threshold: number, modelVersion: string, ts: number, image: RgbImage): void;
  /** A frame that gets no score (invalid, failed inference): a capture waiting for it fails at once. */
  unscored?(camera: string, frame: Frame, reason: string): void;
}

export interface JudgedFrame {
  readonly camera: string;
  readonly frame: Frame;
  readonly score: number;
  readonly threshold: number;
  readonly modelVersion: string;
  /** Frame in → judged, ms. */
  readonly latencyMs: number;
}

export interface PipelineOptions {
  readonly address: DeviceAddress;
  readonly cameraIds: readonly string[];
  /** The live model at start; `swap()` replaces it. */
  readonly model: LoadedModel;
  readonly thresholds: Thresholds;
  /** Publish the score of every Nth frame (by frame index). */
  readonly decimation: number;
  readonly hooks: PipelineHooks;
  readonly now?: () => number;
  /** Normal-sampling interval per camera in ms; 0 (default) = off. */
  readonly sampleIntervalMs?: number;
}

export class Pipeline {
  readonly cameras = new Map<string, CameraState>();
  readonly latency = new LatencyWindow();
  private live: LoadedModel;
  private shadow: { model: LoadedModel; stats: ShadowStats } | undefined;
  private dispatcher: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private rr = 0;
  private readonly address: DeviceAddress;
  private readonly thresholds: Thresholds;
  private readonly decimation: number;
  private readonly hooks: PipelineHooks;
  private readonly now: () => number;
  private readonly sampleIntervalMs: number;

  constructor(opts: PipelineOptions) {
    this.address = opts.address;
    this.live = opts.model;
    this.thresholds = opts.thresholds;
    this.decimation = opts.decimation;
    this.hooks = opts.hooks;
    const now = opts.now ?? Date.now;
    this.now = now;
    this.sampleIntervalMs = opts.sampleIntervalMs ?? 0;
    const t = now();
    for (const id of opts.cameraIds) {
      this.cameras.set(id, {
        camera: id,
        slot: new FrameSlot(id, now),
        rate: new RateCounter(),
        scored: 0,
        flagged: 0,
        sampled: 0,
        lastSampleAt: t,
        lastFrameIndex: -1,
        invalid: 0,
        encoding: 0,
        chain: Promise.resolve(),
        pending: 0,
        results: Promise.resolve(),
      });
    }
  }

  get model(): LoadedModel {
    return this.live;
  }

  start(): void {
    if (this.dispatcher) return;
    const t = this.now();
    for (const c of this.cameras.values()) c.lastSampleAt = t;
    for (const c of this.cameras.values()) c.slot.watch(() => this.kick());
    startEncoder(); // now, so its start-up does not land on the frames around the first event
    this.dispatcher = this.dispatch();
  }

  /** Closes the slots and waits for in-flight frames and event encodes. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const c of this.cameras.values()) c.slot.close();
    this.kick();
    await this.dispatcher;
    await Promise.all([...this.cameras.values()].map((c) => c.results));
    await Promise.all([...this.cameras.values()].map((c) => c.chain));
  }

  /** Makes `next` live between two frames; returns the model it replaced (release it when convenient). */
  swap(next: LoadedModel): LoadedModel {
    const old = this.live;
    this.live = next;
    return old;
  }

  startShadow(model: LoadedModel): void {
    this.shadow = { model, stats: { frames: 0, agree: 0, liveFlags: 0, shadowFlags: 0, meanAbsDiff: 0 } };
  }

  stopShadow(): ShadowStats | undefined {
    const s = this.shadow?.stats;
    this.shadow = undefined;
    return s;
  }

  get shadowStats(): ShadowStats | undefined {
    return this.shadow?.stats;
  }

  threshold(camera: string): number {
    return this.thresholds.get(camera, this.live.version, this.live.manifest.threshold.value);
  }

  private kick(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async dispatch(): Promise<void> {
    while (!this.stopping) {
      let model = this.live; // read once per frame: a swap lands between frames
      let slot: Reservation;
      try {
        slot = await model.reserve();
      } catch (e) {
        // Only a released model refuses; by then `live` is its successor.
        if (model === this.live) this.hooks.problem('LW_AGENT_INFERENCE_FAILED', reasonOf(e));
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      if (model !== this.live) {
        slot.cancel(); // swapped while we waited: the next frame goes to the new model
        continue;
      }
      const next = await this.nextFrame();
      if (!next) {
        slot.cancel();
        return;
      }
      const [c, frame] = next;
      if (model !== this.live) {
        // Swapped while we waited for a frame: it goes to the new model (the old one's release waits on us).
        slot.cancel();
        model = this.live;
        try {
          slot = await model.reserve();
        } catch (e) {
          c.invalid++;
          this.hooks.problem('LW_AGENT_INFERENCE_FAILED', `camera ${c.camera}: ${reasonOf(e)}`);
          continue;
        }
      }
      const img = frame.image;
      if (img.width < 1 || img.height < 1 || img.data.length !== img.width * img.height * 3) {
        slot.cancel();
        c.invalid++;
        const reason = `frame ${frame.index} has ${img.data.length} bytes for ${img.width}x${img.height}`;
        this.hooks.problem('LW_AGENT_FRAME_INVALID', `camera ${c.camera}: ${reason}`);
        this.hooks.unscored?.(c.camera, frame, reason);
        continue;
      }
      const result = slot.run(img); // preprocesses now, runs in the model's worker
      result.catch(() => undefined); // handled in order below; never an unhandled rejection meanwhile
      c.pending++;
      c.results = c.results
        .then(() => this.handle(c, frame, model, result))
        .finally(() => {
          c.pending--;
          this.kick();
        });
    }
  }

  /** The newest frame of the next camera (round robin) that has one; waits for a frame. Undefined once stopping. */
  private async nextFrame(): Promise<[CameraState, Frame] | undefined> {
    const cams = [...this.cameras.values()];
    for (;;) {
      if (this.stopping) return undefined;
      for (let k = 0; k < cams.length; k++) {
        const i = (this.rr + k) % cams.length;
        const c = cams[i]!;
        // One camera may fill every input buffer of the model, no more: beyond that its slot drops (counted).
        if (c.pending >= this.live.buffers) continue;
        const f = c.slot.poll();
        if (f) {
          this.rr = (i + 1) % cams.length;
          return [c, f];
        }
      }
      await new Promise<void>((r) => {
        this.wake = r;
      });
    }
  }

  private async handle(
    c: CameraState,
    frame: Frame,
    model: LoadedModel,
    pending: Promise<InferenceResult>,
  ): Promise<void> {
    const img = frame.image;
    let result: InferenceResult;
    try {
      result = await pending;
    } catch (e) {
      c.invalid++;
      this.hooks.problem('LW_AGENT_INFERENCE_FAILED', `camera ${c.camera}: ${reasonOf(e)}`);
      this.hooks.unscored?.(c.camera, frame, reasonOf(e));
      return;
    }
    const threshold = this.thresholds.get(c.camera, model.version, model.manifest.threshold.value);
    const flagged = result.score > threshold;
    let shadowScore: number | undefined;
    const shadow = this.shadow;
    if (shadow) {
      try {
        const s = await shadow.model.infer(img);
        shadowScore = Math.min(MAX_SCORE, s.score);
        const st = shadow.stats;
        // The candidate is judged by the threshold it would get if it went live (camera config / its manifest).
        const sFlag =
          s.score > this.thresholds.get(c.camera, shadow.model.version, shadow.model.manifest.threshold.value);
        st.meanAbsDiff += (Math.abs(s.score - result.score) - st.meanAbsDiff) / (st.frames + 1);
        st.frames++;
        if (sFlag === flagged) st.agree++;
        if (flagged) st.liveFlags++;
        if (sFlag) st.shadowFlags++;
      } catch (e) {
        this.hooks.problem('LW_AGENT_INFERENCE_FAILED', `shadow model on camera ${c.camera}: ${reasonOf(e)}`);
      }
    }
    c.scored++;
    c.rate.tick();
    c.lastFrameIndex = frame.index;
    if (frame.index % this.decimation === 0) {
      this.hooks.publishScore(c.camera, {
        camera: c.camera,
        frame: frame.index,
        ts: frame.ts,
        score: Math.min(MAX_SCORE, result.score),
        ...(shadowScore !== undefined ? { shadowScore } : {}),
      });
    }
    const latencyMs = performance.now() - frame.t0;
    this.latency.add(latencyMs);
    this.hooks.scored?.(c.camera, frame, result, model.version, shadowScore);
    this.hooks.counted?.(c.camera, result.score, threshold, model.version, frame.ts, img);
    this.hooks.judged?.({
      camera: c.camera,
      frame,
      score: result.score,
      threshold,
      modelVersion: model.version,
      latencyMs,
    });
    if (flagged) {
      c.flagged++;
      // Bound memory: if encodes fall behind, this camera's results wait (its slot then drops frames, counted),
      // but a frame that was flagged is never thrown away.
      while (c.encoding >= MAX_ENCODING) await c.chain;
      this.flag(c, frame, result, threshold, model.version, false);
    } else if (this.sampleIntervalMs > 0 && c.encoding < MAX_ENCODING) {
      // Samples are optional: when encodes are behind one is skipped (and the next frame tried), never waited for.
      const t = this.now();
      if (t - c.lastSampleAt >= this.sampleIntervalMs && this.hooks.sampleWanted?.() !== false) {
        c.lastSampleAt = t;
        c.sampled++;
        this.flag(c, frame, result, threshold, model.version, true);
      }
    }
  }

  /** Encodes the frame + anomaly map into an event for the outbox; `sampled` marks an unflagged normal sample. */
  private flag(
    c: CameraState,
    frame: Frame,
    result: InferenceResult,
    threshold: number,
    modelVersion: string,
    sampled: boolean,
  ): void {
    let seq: number;
    try {
      seq = this.hooks.nextSeq();
    } catch (e) {
      this.hooks.problem('LW_AGENT_STATE_IO', reasonOf(e));
      return;
    }
    const eventId = randomUUID();
    c.encoding++;
    c.chain = c.chain.then(async () => {
      try {
        // Off the main thread (encode/encoder.ts): an encode here would stall the frames in flight.
        const { jpeg, anomalyMap } = await encodeEvent(frame.image, result.map, threshold);
        const msg: EventMessage = {
          eventId,
          device: this.address.device,
          camera: c.camera,
          seq,
          ts: frame.ts,
          modelVersion,
          score: Math.min(MAX_SCORE, result.score),
          threshold: Math.min(MAX_SCORE, threshold),
          jpeg,
          anomalyMap,
          ...(sampled ? { sampled: true as const } : {}),
        };
        const pub = toPublication('event', { ...this.address, camera: c.camera }, msg);
        this.hooks.storeEvent({ eventId, seq, camera: c.camera, topic: pub.topic, payload: pub.payload });
      } catch (e) {
        this.hooks.problem(
          'LW_AGENT_FRAME_INVALID',
          `camera ${c.camera}: cannot encode event seq ${seq}: ${reasonOf(e)}`,
        );
      } finally {
        c.encoding--;
      }
    });
  }
}
