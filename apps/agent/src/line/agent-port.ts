/**
 * The real agent's LinePort. The pipeline reports every scored frame (`scored()`) and every frame that could not be
 * scored (`unscored()`); this turns them into verdicts, counts them per camera, remembers the last one, tells the
 * listeners (MQTT verdict publisher, OPC UA, …) and settles the capture that asked for the frame, if any.
 * Captures go to the camera's TriggerSource, which serves them one at a time (see sources/trigger.ts).
 */
import type { VerdictMessage } from '@linewatch/protocol';
import { AgentError, isAgentError, reasonOf } from '../errors.js';
import type { Frame, FrameSource } from '../sources/frame.js';
import { TriggerSource } from '../sources/trigger.js';
import type { CaptureRequest, LineCamera, LineCounters, LinePort } from './port.js';
import { judge, MAX_SCORE } from './verdict.js';

export interface ScoredFrame {
  readonly camera: string;
  readonly frame: Frame;
  readonly score: number;
  readonly threshold: number;
  readonly modelVersion: string;
  readonly latencyMs: number;
}

export interface AgentLinePortOptions {
  readonly sources: ReadonlyMap<string, FrameSource>;
  /** Frames of this camera that never got a verdict (slot drops, invalid frames, failed runs). */
  readonly dropped: (camera: string) => number;
  readonly online: (camera: string) => boolean;
  readonly modelVersion: () => string;
  readonly uncertainBand?: readonly [number, number];
  /** A listener threw: logged by the caller, never propagated into the pipeline. */
  readonly listenerFailed?: (reason: string) => void;
}

interface Waiter {
  readonly camera: string;
  readonly source: TriggerSource;
  resolve(v: VerdictMessage): void;
  reject(e: AgentError): void;
  readonly timer: NodeJS.Timeout;
}

type Tally = { ok: number; anomalous: number; uncertain: number };

export class AgentLinePort implements LinePort {
  private readonly tallies = new Map<string, Tally>();
  private readonly last = new Map<string, VerdictMessage>();
  private readonly listeners = new Set<(v: VerdictMessage) => void>();
  private readonly waiters = new Map<number, Waiter>();
  private nextCaptureId = 1;

  constructor(private readonly opts: AgentLinePortOptions) {
    for (const id of opts.sources.keys()) this.tallies.set(id, { ok: 0, anomalous: 0, uncertain: 0 });
  }

  cameras(): readonly LineCamera[] {
    return [...this.opts.sources.entries()].map(([id, s]) => ({
      id,
      trigger: s instanceof TriggerSource,
      online: (!(s instanceof TriggerSource) || s.started) && this.opts.online(id),
    }));
  }

  counters(camera: string): LineCounters {
    const t = this.tallies.get(camera);
    if (!t) throw new AgentError('LW_AGENT_UNKNOWN_CAMERA', `no camera ${camera}`, { camera });
    return { ...t, dropped: this.opts.dropped(camera) };
  }

  modelVersion(): string {
    return this.opts.modelVersion();
  }

  lastVerdict(camera: string): VerdictMessage | undefined {
    return this.last.get(camera);
  }

  onVerdict(listener: (verdict: VerdictMessage) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** A scored frame (from the pipeline, in frame order per camera): its verdict, counted and handed on. */
  scored(s: ScoredFrame): VerdictMessage {
    const threshold = Math.min(MAX_SCORE, s.threshold);
    const score = Math.min(MAX_SCORE, s.score);
    const { normalized, verdict } = judge(s.score, s.threshold, this.opts.uncertainBand);
    const partId = s.frame.capture?.partId;
    const v: VerdictMessage = {
      camera: s.camera,
      frame: s.frame.index,
      ...(partId !== undefined ? { partId } : {}),
      ts: s.frame.ts,
      score,
      threshold,
      normalized,
      verdict,
      modelVersion: s.modelVersion,
      latencyMs: Math.max(0, s.latencyMs),
    };
    const t = this.tallies.get(s.camera);
    if (t) t[verdict]++;
    this.last.set(s.camera, v);
    for (const l of this.listeners) {
      try {
        l(v);
      } catch (e) {
        this.opts.listenerFailed?.(reasonOf(e));
      }
    }
    const id = s.frame.capture?.id;
    if (id !== undefined) this.settle(id, (w) => w.resolve(v));
    return v;
  }

  /** A frame that got no verdict; a capture waiting for it fails now rather than at its timeout. */
  unscored(frame: Frame, reason: string): void {
    const id = frame.capture?.id;
    if (id === undefined) return;
    this.settle(id, (w) =>
      w.reject(new AgentError('LW_AGENT_CAPTURE_FAILED', `camera ${w.camera}: ${reason}`, { camera: w.camera })),
    );
  }

  capture(request: CaptureRequest): Promise<VerdictMessage> {
    const { camera, partId } = request;
    const source = this.opts.sources.get(camera);
    if (!source) return Promise.reject(new AgentError('LW_AGENT_UNKNOWN_CAMERA', `no camera ${camera}`, { camera }));
    if (!(source instanceof TriggerSource))
      return Promise.reject(
        new AgentError('LW_AGENT_NOT_TRIGGER_CAMERA', `camera ${camera} runs free; only trigger cameras capture`, {
          camera,
        }),
      );
    const id = this.nextCaptureId++;
    return new Promise<VerdictMessage>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.settle(id, (w) =>
            w.reject(
              new AgentError('LW_AGENT_CAPTURE_TIMEOUT', `camera ${camera}: no verdict in ${source.timeoutMs} ms`, {
                camera,
              }),
            ),
          ),
        source.timeoutMs,
      );
      this.waiters.set(id, { camera, source, resolve, reject, timer });
      try {
        source.capture({ id, ...(partId !== undefined ? { partId } : {}) });
      } catch (e) {
        const err = isAgentError(e) ? e : new AgentError('LW_AGENT_CAPTURE_FAILED', reasonOf(e), { camera });
        this.settle(id, (w) => w.reject(err));
      }
    });
  }

  /** Fails every capture still waiting (the agent is stopping). */
  close(): void {
    for (const id of [...this.waiters.keys()])
      this.settle(id, (w) => w.reject(new AgentError('LW_AGENT_CAPTURE_FAILED', 'the agent is stopping')));
  }

  private settle(id: number, how: (w: Waiter) => void): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    clearTimeout(w.timer);
    w.source.done(id);
    how(w);
  }
}
