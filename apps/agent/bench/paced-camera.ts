/**
 * A camera for the line-rate bench: synthetic frames (pre-rendered, cycled) delivered at the camera's own fps
 * whether or not the pipeline is ready — newest frame wins in the agent's slot, older ones are dropped and counted.
 *
 * Free-running cameras on a line have their own clocks, so their frames do not arrive in lock-step: each camera
 * starts at a phase offset within one frame period (`phase`: `random` = seeded offsets, `spread` = evenly spaced,
 * `aligned` = all at once, the worst case of hardware-triggered cameras sharing one trigger). The camera also records
 * how late its timer fired against its schedule: a frame that lands late in the agent is a main-thread stall the
 * frame-in → verdict latency (which starts when the frame lands) cannot see.
 */
import { createRng } from '@linewatch/vision';
import type { RgbImage } from '@linewatch/vision';
import type { FrameSink, FrameSource } from '../src/sources/index.js';
import { SyntheticSource } from '../src/sources/index.js';
import { LatencyWindow } from '../src/stats.js';

export type Phase = 'random' | 'spread' | 'aligned';
export const PHASES: readonly Phase[] = ['random', 'spread', 'aligned'];

/** Offsets (ms) of `cameras` cameras within one period of `fps`. Seeded, so runs are repeatable. */
export function phaseOffsets(phase: Phase, cameras: number, fps: number, seed = 'line-rate'): number[] {
  const period = 1000 / fps;
  if (phase === 'aligned') return Array.from({ length: cameras }, () => 0);
  if (phase === 'spread') return Array.from({ length: cameras }, (_, i) => (i * period) / cameras);
  const rng = createRng(`${seed}:${cameras}x${fps}`);
  return Array.from({ length: cameras }, () => rng.next() * period);
}

export interface PacedCameraOptions {
  readonly camera: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly seed: number;
  readonly defectRate: number;
  readonly distinctFrames: number;
  /** Delay of the first frame after start (ms). */
  readonly offsetMs: number;
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
    const period = 1000 / this.fps;
    let due = performance.now() + this.opts.offsetMs;
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
