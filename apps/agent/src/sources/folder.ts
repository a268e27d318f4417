/**
 * Image-folder camera, looping over the JPEG/PNG files in name order at the configured rate. Decoding goes through
 * @linewatch/vision (sharp) rather than ffmpeg so that one corrupt file is reported by name and skipped instead of
 * ending the stream; each image is resized to the camera size so frames are uniform like a real camera's.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeImage, resizeImage } from '@linewatch/vision';
import { reasonOf } from '../errors.js';
import type { FrameSink, FrameSource } from './frame.js';

export interface FolderOptions {
  readonly camera: string;
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly backoffMs: number;
}

export class FolderSource implements FrameSource {
  readonly camera: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  /** Files that failed to decode (reported once each). */
  readonly badFiles = new Set<string>();

  constructor(private readonly opts: FolderOptions) {
    this.camera = opts.camera;
    this.width = opts.width;
    this.height = opts.height;
    this.fps = opts.fps;
  }

  start(sink: FrameSink): void {
    this.running = true;
    void this.loop(sink);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      this.timer = setTimeout(r, ms);
    });
  }

  private async loop(sink: FrameSink): Promise<void> {
    const period = 1000 / this.fps;
    let due = performance.now();
    while (this.running) {
      let files: string[];
      try {
        files = (await readdir(this.opts.path)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
      } catch (e) {
        sink.problem('LW_AGENT_SOURCE_FAILED', `cannot list ${this.opts.path}: ${reasonOf(e)}`);
        await this.sleep(this.opts.backoffMs);
        continue;
      }
      if (files.length === 0) {
        sink.problem('LW_AGENT_SOURCE_FAILED', `no .jpg/.png files in ${this.opts.path}`);
        await this.sleep(this.opts.backoffMs);
        continue;
      }
      let good = 0;
      for (const f of files) {
        if (!this.running) return;
        try {
          const img = await decodeImage(await readFile(join(this.opts.path, f)), { maxPixels: 40_000_000 });
          const frame =
            img.width === this.width && img.height === this.height ? img : resizeImage(img, this.width, this.height);
          good++;
          sink.frame(frame);
        } catch (e) {
          if (!this.badFiles.has(f)) {
            this.badFiles.add(f);
            sink.problem('LW_AGENT_FRAME_INVALID', `${f}: ${reasonOf(e)}`);
          }
          continue;
        }
        due += period;
        const now = performance.now();
        if (due < now - period * 4) due = now;
        await this.sleep(Math.max(0, due - now));
      }
      if (good === 0) await this.sleep(this.opts.backoffMs); // every file corrupt: do not spin
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }
}
