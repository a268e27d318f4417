/**
 * A camera that plays a fixed list of uniform grey frames in a loop at `fps`, so tests know each frame's score:
 * with the tiny model (gain 1) a grey level v scores |v/255·2 − 1| (see uniformScore).
 */
import { createImage } from '@linewatch/vision';
import type { RgbImage } from '@linewatch/vision';
import type { CameraConfig } from '../../src/config.js';
import { createSource } from '../../src/sources/index.js';
import type { FrameSink, FrameSource, SourceFactory } from '../../src/sources/index.js';

export class ScriptedSource implements FrameSource {
  readonly width = 32;
  readonly height = 32;
  private readonly frames: RgbImage[];
  private timer: NodeJS.Timeout | undefined;
  private i = 0;

  constructor(
    readonly camera: string,
    readonly levels: readonly number[],
    readonly fps = 20,
  ) {
    this.frames = levels.map((v) => createImage(this.width, this.height, [v, v, v]));
  }

  /** Grey level of the k-th delivered frame (the slot's frame index, as long as the slot saw every frame). */
  levelOf(index: number): number {
    return this.levels[index % this.levels.length]!;
  }

  start(sink: FrameSink): void {
    const tick = (): void => {
      sink.frame(this.frames[this.i++ % this.frames.length]!);
      this.timer = setTimeout(tick, 1000 / this.fps);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
  }
}

/** Cameras named in `scripts` play their levels; every other camera is built as configured. */
export function scriptedFactory(scripts: Record<string, readonly number[]>, fps = 20): SourceFactory {
  return (cam: CameraConfig, cfg) => {
    const levels = scripts[cam.id];
    return levels ? new ScriptedSource(cam.id, levels, fps) : createSource(cam, cfg);
  };
}
