/**
 * An in-memory LinePort: what line adapters (OPC UA, verdict topic, local API) are tested against without a model, a
 * camera or a broker. Tests set cameras and counters, push verdicts, and decide what a capture answers.
 */
import type { VerdictMessage } from '@linewatch/protocol';
import { AgentError } from '../errors.js';
import type { CaptureRequest, LineCamera, LineCounters, LinePort } from './port.js';

export type CaptureHandler = (request: CaptureRequest) => Promise<VerdictMessage>;

const ZERO: LineCounters = Object.freeze({ ok: 0, anomalous: 0, uncertain: 0, dropped: 0 });

export class MemoryLinePort implements LinePort {
  private cams: LineCamera[];
  private readonly counts = new Map<string, LineCounters>();
  private readonly last = new Map<string, VerdictMessage>();
  private readonly listeners = new Set<(verdict: VerdictMessage) => void>();
  private version: string;
  private captureHandler: CaptureHandler | undefined;
  /** Every capture request in arrival order, for assertions. */
  readonly captures: CaptureRequest[] = [];

  constructor(opts: { cameras?: readonly LineCamera[]; modelVersion?: string; capture?: CaptureHandler } = {}) {
    this.cams = [...(opts.cameras ?? [{ id: 'cam-1', trigger: false, online: true }])];
    this.version = opts.modelVersion ?? '';
    this.captureHandler = opts.capture;
  }

  cameras(): readonly LineCamera[] {
    return this.cams;
  }

  counters(camera: string): LineCounters {
    if (!this.cams.some((c) => c.id === camera))
      throw new AgentError('LW_AGENT_UNKNOWN_CAMERA', `no camera ${camera}`, { camera });
    return this.counts.get(camera) ?? ZERO;
  }

  modelVersion(): string {
    return this.version;
  }

  lastVerdict(camera: string): VerdictMessage | undefined {
    return this.last.get(camera);
  }

  onVerdict(listener: (verdict: VerdictMessage) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Unknown and free-running cameras reject like the real port does; so does any camera without a handler. */
  async capture(request: CaptureRequest): Promise<VerdictMessage> {
    this.captures.push(request);
    const cam = this.cams.find((c) => c.id === request.camera);
    if (!cam) {
      throw new AgentError('LW_AGENT_UNKNOWN_CAMERA', `no camera ${request.camera}`, { camera: request.camera });
    }
    if (!cam.trigger || !this.captureHandler)
      throw new AgentError('LW_AGENT_NOT_TRIGGER_CAMERA', `${request.camera} has no capture handler`, {
        camera: request.camera,
      });
    const verdict = await this.captureHandler(request);
    this.push(verdict);
    return verdict;
  }

  // ---- test controls ----

  setCameras(cameras: readonly LineCamera[]): void {
    this.cams = [...cameras];
  }

  setOnline(camera: string, online: boolean): void {
    this.cams = this.cams.map((c) => (c.id === camera ? { ...c, online } : c));
  }

  setCounters(camera: string, counters: Partial<LineCounters>): void {
    this.counts.set(camera, { ...(this.counts.get(camera) ?? ZERO), ...counters });
  }

  setModelVersion(version: string): void {
    this.version = version;
  }

  onCapture(handler: CaptureHandler | undefined): void {
    this.captureHandler = handler;
  }

  /** Records the verdict as the camera's last, counts it like the pipeline would, and tells every listener. */
  push(verdict: VerdictMessage): void {
    this.last.set(verdict.camera, verdict);
    const c = this.counts.get(verdict.camera) ?? ZERO;
    this.counts.set(verdict.camera, { ...c, [verdict.verdict]: c[verdict.verdict] + 1 });
    for (const l of this.listeners) l(verdict);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

/** A valid verdict with sensible defaults, for tests. */
export function makeVerdict(overrides: Partial<VerdictMessage> = {}): VerdictMessage {
  const score = overrides.score ?? 0.2;
  const threshold = overrides.threshold ?? 0.5;
  return {
    camera: 'cam-1',
    frame: 1,
    ts: Date.now(),
    score,
    threshold,
    normalized: threshold > 0 ? score / threshold : 0,
    verdict: score > threshold ? 'anomalous' : 'ok', // the agent's rule (line/verdict.ts)
    modelVersion: '1.0.0+1',
    latencyMs: 5,
    ...overrides,
  };
}
