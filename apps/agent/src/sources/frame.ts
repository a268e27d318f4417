/**
 * Frames and the one-slot mailbox between a camera and the inference loop. A camera never waits for inference:
 * if a frame is still pending when the next one arrives, the older is dropped (and counted), so memory stays bounded
 * at one pending frame per camera whatever the camera does, and the model always sees the newest picture.
 * Consumers either `take()` (wait for the next frame) or `poll()` when notified through `watch()`. An on-demand
 * source (`pullWith()`) is asked for a frame exactly when a consumer polls an empty slot.
 */
import type { RgbImage } from '@linewatch/vision';
import type { AgentErrorCode } from '../errors.js';

export interface Frame {
  readonly camera: string;
  /** Per-camera counter of frames the source delivered (gaps in scored frames = drops). */
  readonly index: number;
  /** Epoch ms when the frame arrived. */
  readonly ts: number;
  /** performance.now() at arrival: the start of the end-to-end latency measurement. */
  readonly t0: number;
  readonly image: RgbImage;
  /** Set on frames a trigger camera captured on request (see trigger.ts). */
  readonly capture?: CaptureTag;
}

/** Who asked for a triggered frame: the capture's id (to hand its verdict back) and the caller's part id. */
export interface CaptureTag {
  readonly id: number;
  readonly partId?: string;
}

export interface SourceProblem {
  readonly camera: string;
  readonly code: AgentErrorCode;
  readonly message: string;
}

/** What every camera implementation provides. Sources push frames; they never block on consumers. */
export interface FrameSource {
  readonly camera: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  start(sink: FrameSink): void;
  stop(): Promise<void>;
}

export interface FrameSink {
  frame(image: RgbImage): void;
  /** A frame a trigger camera captured on request, tagged; false when it was not taken (the agent is stopping). */
  captured?(image: RgbImage, capture: CaptureTag): boolean;
  /**
   * On-demand delivery: `pull` is called whenever the pipeline is ready for this camera's next frame and none is
   * pending; the source should call `frame()` (synchronously, or later). For sources that can produce a frame at
   * any moment (the synthetic camera in benchmarks), so the camera never paces nor starves the pipeline.
   */
  pullWith?(pull: () => void): void;
  problem(code: AgentErrorCode, message: string): void;
  /** The source delivers again after a problem. */
  recovered(): void;
}

export class FrameSlot {
  private pending: Frame | undefined;
  private waiter: ((f: Frame | undefined) => void) | undefined;
  private closed = false;
  private nextIndex = 0;
  private onPut: (() => void) | undefined;
  private puller: (() => void) | undefined;
  delivered = 0;
  dropped = 0;

  constructor(
    readonly camera: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Undefined once closed. */
  put(image: RgbImage, capture?: CaptureTag): Frame | undefined {
    if (this.closed) return undefined;
    const frame: Frame = {
      camera: this.camera,
      index: this.nextIndex++,
      ts: this.now(),
      t0: performance.now(),
      image,
      ...(capture ? { capture } : {}),
    };
    this.delivered++;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(frame);
      return frame;
    }
    if (this.pending) this.dropped++;
    this.pending = frame;
    this.onPut?.();
    return frame;
  }

  /** `fn` runs after each frame that lands in the slot (not handed to a waiting `take()`). */
  watch(fn: () => void): void {
    this.onPut = fn;
  }

  pullWith(fn: () => void): void {
    this.puller = fn;
  }

  /** The pending frame, if any (an on-demand source is asked first); never waits. */
  poll(): Frame | undefined {
    if (!this.pending && this.puller && !this.closed) this.puller();
    const f = this.pending;
    this.pending = undefined;
    return f;
  }

  /** The newest unconsumed frame; waits if none. Resolves undefined once closed. */
  take(): Promise<Frame | undefined> {
    if (this.pending) {
      const f = this.pending;
      this.pending = undefined;
      return Promise.resolve(f);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  close(): void {
    this.closed = true;
    this.pending = undefined;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(undefined);
  }
}

/** Exponential backoff with a ceiling; reset after the source delivers again. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {}
  next(): number {
    const ms = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return ms;
  }
  reset(): void {
    this.attempt = 0;
  }
}
