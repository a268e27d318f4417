/**
 * Zero-setup camera: seeded synthetic surfaces from @linewatch/vision, some with defects. Frames are rendered once
 * (rendering costs tens of ms) and cycled, so the camera itself costs almost nothing at any frame rate.
 * Paced like a camera ('realtime', `fps` frames per second) or 'on-demand': a frame each time the pipeline asks for
 * one, at most `fps` per second, so a benchmark measures the pipeline and not the camera's timer.
 */
import { createRng, generateSurface } from '@linewatch/vision';
import type { RgbImage } from '@linewatch/vision';
import type { FrameSink, FrameSource } from './frame.js';

export interface SyntheticOptions {
  readonly camera: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly seed: number | string;
  readonly defectRate: number;
  readonly distinctFrames: number;
  readonly pace?: 'realtime' | 'on-demand';
}

export class SyntheticSource implements FrameSource {
  readonly camera: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  private readonly frames: RgbImage[] = [];
  private readonly defective: boolean[];
  private timer: NodeJS.Timeout | undefined;
  private i = 0;
  private running = false;

  constructor(private readonly opts: SyntheticOptions) {
    this.camera = opts.camera;
    this.width = opts.width;
    this.height = opts.height;
    this.fps = opts.fps;
    const rng = createRng(`${String(opts.seed)}:${opts.camera}`);
    this.defective = Array.from({ length: opts.distinctFrames }, () => rng.next() < opts.defectRate);
  }

  /** Whether frame `index` of this camera shows a defect (for tests and the benchmark). */
  isDefective(index: number): boolean {
    return this.defective[index % this.defective.length]!;
  }

  /** Distinct frame `k` (rendered on first use), e.g. to calibrate a threshold on the normal ones. */
  frameAt(index: number): RgbImage {
    return this.render(index % this.defective.length);
  }

  /** How many distinct frames the camera cycles through. */
  get distinctFrames(): number {
    return this.defective.length;
  }

  private render(k: number): RgbImage {
    let img = this.frames[k];
    if (!img) {
      img = generateSurface({
        seed: `${String(this.opts.seed)}:${this.camera}:${k}`,
        width: this.width,
        height: this.height,
        texture: 'grain',
        defect: this.defective[k] ? 'random' : 'none',
      }).image;
      this.frames[k] = img;
    }
    return img;
  }

  start(sink: FrameSink): void {
    this.running = true;
    if (this.opts.pace === 'on-demand' && sink.pullWith) {
      this.startOnDemand(sink, sink.pullWith.bind(sink));
      return;
    }
    const period = 1000 / this.fps;
    let due = performance.now();
    const tick = (): void => {
      if (!this.running) return;
      const k = this.i++ % this.defective.length;
      sink.frame(this.render(k));
      // Drift-free pacing: schedule against the ideal timeline, not "period after this tick".
      due += period;
      const now = performance.now();
      if (due < now - period * 4) due = now; // after a long stall, do not burst to catch up
      this.timer = setTimeout(tick, Math.max(0, due - now));
    };
    this.timer = setTimeout(tick, 0);
  }

  private startOnDemand(sink: FrameSink, pullWith: (pull: () => void) => void): void {
    const period = 1000 / this.fps;
    let next = 0; // earliest time of the next frame (the fps ceiling)
    const deliver = (): void => {
      this.timer = undefined;
      if (!this.running) return;
      next = performance.now() + period;
      sink.frame(this.render(this.i++ % this.defective.length));
    };
    pullWith(() => {
      if (!this.running || this.timer) return;
      const wait = next - performance.now();
      if (wait <= 0) deliver();
      else this.timer = setTimeout(deliver, wait);
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }
}
