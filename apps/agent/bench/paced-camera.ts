/**
 * A camera for the line-rate bench: synthetic frames (pre-rendered, cycled) delivered at the camera's own fps
 * whether or not the pipeline is ready — newest frame wins in the agent's slot, older ones are dropped and counted.
 *
 * Free-running cameras on a line have their own clocks, so their frames neither arrive in lock-step nor keep one
 * phase relation: each clock runs a little fast or slow and the phases drift through every relation over time. The
 * default `drift` models that within a short run: the cameras start evenly spread over one frame period, and camera i
 * runs `(i − (n−1)/2) / driftSeconds` Hz off the nominal fps, so neighbours slide one whole period past each other
 * in `driftSeconds` (0.2 % at 25 fps over 20 s) — every phase relation, aligned included, is visited in equal
 * measure. `spread` keeps them evenly spaced (the best case), `aligned` starts them together at exactly the nominal
 * fps (the worst case: cameras sharing one hardware trigger). The camera also records how late its timer fired
 * against its schedule: a frame that lands late in the agent is a main-thread stall the frame-in → verdict latency
 * (which starts when the frame lands) cannot see.
 */
import type { RgbImage } from '@linewatch/vision';
import type { FrameSink, FrameSource } from '../src/sources/index.js';
import { SyntheticSource } from '../src/sources/index.js';
import { LatencyWindow } from '../src/stats.js';

export type Phase = 'drift' | 'spread' | 'aligned';
export const PHASES: readonly Phase[] = ['drift', 'spread', 'aligned'];

export interface CameraClock {
  /** Delay of the first frame after start (ms). */
  readonly offsetMs: number;
  /** The rate the camera's clock actually runs at. */
  readonly fps: number;
}

/** Start offsets and actual rates of `cameras` cameras of nominal `fps` (see the header). */
export function cameraClocks(phase: Phase, cameras: number, fps: number, driftSeconds: number): CameraClock[] {
  const period = 1000 / fps;
  return Array.from({ length: cameras }, (_, i) => ({
    offsetMs: phase === 'aligned' ? 0 : (i * period) / cameras,
    fps: phase === 'drift' ? fps + (i - (cameras - 1) / 2) / driftSeconds : fps,
  }));
}

export interface PacedCameraOptions {
  readonly camera: string;
  readonly width: number;
  readonly height: number;
  /** Nominal fps (what the camera reports). */
  readonly fps: number;
  readonly clock: CameraClock;
  readonly seed: number;
  readonly defectRate: number;
  readonly distinctFrames: number;
}

export class PacedCamera implements FrameSource {
  readonly camera: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** How late each tick fired against its schedule (ms). */
  readonly late = new LatencyWindow(1 << 16);
  private readonly frames: RgbImage[];
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly opts: PacedCameraOptions) {
    this.camera = opts.camera;
    this.width = opts.width;
    this.height = opts.height;
    this.fps = opts.fps;
    const src = new SyntheticSource({ ...opts, pace: 'realtime' });
    // Rendered up front (tens of ms each): rendering must not land inside the measured window.
    this.frames = Array.from({ length: src.distinctFrames }, (_, k) => src.frameAt(k));
  }

  start(sink: FrameSink): void {
    this.running = true;
    const period = 1000 / this.opts.clock.fps;
    let due = performance.now() + this.opts.clock.offsetMs;
    let i = 0;
    const tick = (): void => {
      if (!this.running) return;
      const now = performance.now();
      this.late.add(Math.max(0, now - due));
      sink.frame(this.frames[i++ % this.frames.length]!);
      // Drift-free: the next tick is due one period after this one was due, not after it fired.
      due += period;
      if (due < now) due = now; // after a stall longer than a period, do not burst to catch up
      this.timer = setTimeout(tick, Math.max(0, due - performance.now()));
    };
    this.timer = setTimeout(tick, Math.max(0, due - performance.now()));
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }
}
