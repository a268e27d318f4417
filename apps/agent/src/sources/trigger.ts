/**
 * A camera that captures only when asked. It wraps any free-running source (RTSP, V4L2, folder, synthetic …) and
 * lets that source run, but hands a frame to the pipeline only for a capture request: the first frame that arrives
 * after the request becomes the capture, tagged with the caller's part id; every other frame is discarded unscored
 * (not counted as dropped: nobody asked for it).
 *
 * Captures are served one at a time, in request order: the next one is armed only once the previous frame has its
 * verdict (or was given up, see `done()`), so a triggered frame is never overwritten in the one-frame slot and each
 * part gets exactly its own frame. Waiting requests are bounded (`maxQueued`).
 */
import { AgentError } from '../errors.js';
import type { CaptureTag, FrameSink, FrameSource } from './frame.js';

export interface TriggerOptions {
  readonly camera: string;
  /** The source that produces the frames (started and stopped with this one). */
  readonly inner: FrameSource;
  /** How long a capture may take from request to verdict (enforced by the caller that waits for the verdict). */
  readonly timeoutMs: number;
  readonly maxQueued: number;
}

export class TriggerSource implements FrameSource {
  readonly camera: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly timeoutMs: number;
  private sink: FrameSink | undefined;
  private readonly queue: CaptureTag[] = [];
  /** The capture being served: armed (waiting for a frame) or scoring (its frame is in the pipeline). */
  private current: { tag: CaptureTag; scoring: boolean } | undefined;
  /** Frames of the wrapped source that no capture asked for. */
  discarded = 0;

  constructor(private readonly opts: TriggerOptions) {
    this.camera = opts.camera;
    this.width = opts.inner.width;
    this.height = opts.inner.height;
    this.fps = opts.inner.fps;
    this.timeoutMs = opts.timeoutMs;
  }

  get started(): boolean {
    return this.sink !== undefined;
  }

  start(sink: FrameSink): void {
    this.sink = sink;
    // No pullWith: an on-demand inner source falls back to its own pace, so a capture never waits for a pull.
    this.opts.inner.start({
      frame: (img) => {
        const cur = this.current;
        if (!cur || cur.scoring || this.sink !== sink) {
          this.discarded++;
          return;
        }
        cur.scoring = true;
        const taken = sink.captured ? sink.captured(img, cur.tag) : (sink.frame(img), true);
        if (!taken) this.done(cur.tag.id); // slot closed: the agent is stopping
      },
      problem: (code, message) => sink.problem(code, message),
      recovered: () => sink.recovered(),
    });
  }

  /**
   * Queues a capture; its frame reaches the pipeline tagged with `tag`. Throws LW_AGENT_CAPTURE_BUSY when
   * `maxQueued` captures are already waiting, LW_AGENT_CAPTURE_FAILED when the camera is not running.
   */
  capture(tag: CaptureTag): void {
    if (!this.sink) throw new AgentError('LW_AGENT_CAPTURE_FAILED', `camera ${this.camera} is not running`);
    if (this.queue.length >= this.opts.maxQueued)
      throw new AgentError('LW_AGENT_CAPTURE_BUSY', `camera ${this.camera}: ${this.queue.length} captures waiting`, {
        camera: this.camera,
      });
    this.queue.push(tag);
    if (!this.current) this.next();
  }

  /** The capture `id` is settled (verdict, failure or timeout): the next one is armed. Unknown ids are ignored. */
  done(id: number): void {
    if (this.current?.tag.id === id) {
      this.current = undefined;
      this.next();
      return;
    }
    const i = this.queue.findIndex((t) => t.id === id);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private next(): void {
    const tag = this.queue.shift();
    this.current = tag ? { tag, scoring: false } : undefined;
  }

  async stop(): Promise<void> {
    this.sink = undefined;
    this.queue.length = 0;
    this.current = undefined;
    await this.opts.inner.stop();
  }
}
