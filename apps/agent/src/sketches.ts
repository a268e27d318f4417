/**
 * Per-camera score windows for calibration and drift (issue #20): every scored frame — flagged or not — is counted
 * in its camera's fixed log-bucket sketch (@linewatch/protocol sketch.ts), and each window goes to the controller as
 * one `scoreSketch` message. `add` runs once per frame on the pipeline's result path, so it allocates nothing (a map
 * lookup, one log, two increments); building the message allocates once per window.
 *
 * A window closes when the report timer fires (`flush`, only while connected: otherwise it keeps growing, so an
 * outage merges into one longer window instead of losing frames) and when the camera's model version or threshold
 * changes: every frame of a window was scored by one model and judged by one threshold, so the controller keeps
 * sketches per model version and reads the flag rate of each threshold (a window closed that way while offline is
 * lost, as its QoS 1 message could not be handed over).
 */
import { ScoreSketch } from '@linewatch/protocol';
import type { ScoreSketchMessage } from '@linewatch/protocol';
import type { RgbImage } from '@linewatch/vision';
import { FrameStats } from './frame-stats.js';

const MAX_WINDOW_MS = 86_400_000;

interface Window {
  readonly sketch: ScoreSketch;
  readonly stats: FrameStats;
  start: number;
  last: number;
  modelVersion: string;
  threshold: number;
  flagged: number;
}

export class SketchWindows {
  private readonly windows = new Map<string, Window>();

  /** `publish` returns whether the message was handed to the broker (false: keep the window for the next flush). */
  constructor(
    cameraIds: readonly string[],
    private readonly publish: (camera: string, m: ScoreSketchMessage) => boolean,
  ) {
    for (const id of cameraIds) {
      this.windows.set(id, {
        sketch: new ScoreSketch(),
        stats: new FrameStats(),
        start: 0,
        last: 0,
        modelVersion: '',
        threshold: 0,
        flagged: 0,
      });
    }
  }

  /** One scored frame (frame time `ts`, epoch ms; `image`: its pixels, for the frame statistics). */
  add(camera: string, score: number, threshold: number, modelVersion: string, ts: number, image?: RgbImage): void {
    const w = this.windows.get(camera);
    if (!w) return;
    if (w.sketch.total > 0 && (w.modelVersion !== modelVersion || w.threshold !== threshold))
      this.close(camera, w, true);
    if (w.sketch.total === 0) {
      w.start = ts;
      w.modelVersion = modelVersion;
    }
    w.sketch.add(score);
    w.last = ts;
    w.threshold = threshold;
    if (score > threshold) w.flagged++;
    if (image) w.stats.add(image);
  }

  /** Closes and publishes every non-empty window (the report timer). */
  flush(): void {
    for (const [camera, w] of this.windows) if (w.sketch.total > 0) this.close(camera, w, false);
  }

  /** The open window's frame count (tests). */
  frames(camera: string): number {
    return this.windows.get(camera)?.sketch.total ?? 0;
  }

  /**
   * `force`: the window ends whatever happens to its message (a model swap or a new threshold: its frames must not
   * be merged into the next window's).
   */
  private close(camera: string, w: Window, force: boolean): void {
    const m: ScoreSketchMessage = {
      camera,
      modelVersion: w.modelVersion,
      start: w.start,
      durationMs: Math.min(MAX_WINDOW_MS, Math.max(0, Math.round(w.last - w.start))),
      threshold: Math.min(1e9, Math.max(0, w.threshold)),
      flagged: w.flagged,
      sketch: w.sketch.toCounts(),
    };
    const stats = w.stats.take();
    if (stats) m.frames = stats;
    if (!this.publish(camera, m) && !force) return;
    w.sketch.reset();
    w.flagged = 0;
  }
}
