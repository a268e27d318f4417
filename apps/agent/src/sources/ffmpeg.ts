/**
 * Cameras read through Debian's ffmpeg as a child process that writes raw rgb24 frames of a fixed size to stdout
 * (video file, RTSP, MJPEG over HTTP, V4L2). ffmpeg does the decoding, scaling and frame-rate conversion; we only
 * cut the byte stream into frames. If ffmpeg exits it is restarted with exponential backoff; if it stays silent for
 * the stall timeout it is killed, reported and restarted.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { FreeSourceConfig } from '../config.js';
import { Backoff } from './frame.js';
import type { FrameSink, FrameSource } from './frame.js';

export interface FfmpegOptions {
  readonly camera: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Input-side arguments (everything before the output options). */
  readonly inputArgs: readonly string[];
  readonly command?: string;
  readonly stallTimeoutMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
}

/** ffmpeg input arguments for each camera kind. */
export function ffmpegInputArgs(src: Exclude<FreeSourceConfig, { kind: 'synthetic' } | { kind: 'folder' }>): string[] {
  switch (src.kind) {
    case 'video':
      // -re paces a file at its native rate, like a live camera.
      return ['-re', ...(src.loop ? ['-stream_loop', '-1'] : []), '-i', src.path];
    case 'rtsp':
      return [...(src.tcp ? ['-rtsp_transport', 'tcp'] : []), '-i', src.url];
    case 'mjpeg':
      return ['-f', 'mpjpeg', '-i', src.url];
    case 'v4l2':
      return [
        '-f',
        'v4l2',
        '-framerate',
        String(src.fps),
        '-video_size',
        `${src.width}x${src.height}`,
        '-i',
        src.device,
      ];
  }
}

export class FfmpegSource implements FrameSource {
  readonly camera: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  private readonly frameBytes: number;
  private child: ChildProcess | undefined;
  private sink: FrameSink | undefined;
  private running = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private inProblem = false;
  /** Restarts so far (for health and tests). */
  restarts = 0;

  constructor(private readonly opts: FfmpegOptions) {
    this.camera = opts.camera;
    this.width = opts.width;
    this.height = opts.height;
    this.fps = opts.fps;
    this.frameBytes = opts.width * opts.height * 3;
    this.backoff = new Backoff(opts.backoffMinMs, opts.backoffMaxMs);
  }

  args(): string[] {
    const o = this.opts;
    return [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      ...o.inputArgs,
      '-an',
      '-vf',
      `fps=${o.fps},scale=${o.width}:${o.height}`,
      '-pix_fmt',
      'rgb24',
      '-f',
      'rawvideo',
      'pipe:1',
    ];
  }

  start(sink: FrameSink): void {
    this.sink = sink;
    this.running = true;
    this.spawnChild();
  }

  private problem(code: 'LW_AGENT_SOURCE_FAILED' | 'LW_AGENT_SOURCE_STALLED', message: string): void {
    this.inProblem = true;
    this.sink?.problem(code, message);
  }

  private armStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      if (!this.running || !this.child) return;
      this.problem('LW_AGENT_SOURCE_STALLED', `no frame for ${this.opts.stallTimeoutMs} ms; restarting ffmpeg`);
      this.child.kill('SIGKILL'); // the exit handler schedules the restart
    }, this.opts.stallTimeoutMs);
  }

  private spawnChild(): void {
    if (!this.running) return;
    const child = spawn(this.opts.command ?? 'ffmpeg', this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    // Frames are assembled in a fresh buffer each (the consumer may hold the previous one while encoding a JPEG);
    // at most one partial frame is buffered here.
    let buf = Buffer.allocUnsafe(this.frameBytes);
    let filled = 0;
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(chunk.length - off, this.frameBytes - filled);
        chunk.copy(buf, filled, off, off + n);
        filled += n;
        off += n;
        if (filled === this.frameBytes) {
          const data = new Uint8Array(buf.buffer, buf.byteOffset, this.frameBytes);
          buf = Buffer.allocUnsafe(this.frameBytes);
          filled = 0;
          this.backoff.reset();
          if (this.inProblem) {
            this.inProblem = false;
            this.sink?.recovered();
          }
          this.armStall();
          this.sink?.frame({ width: this.width, height: this.height, channels: 3, data });
        }
      }
    });
    child.stderr!.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-2000); // bounded: ffmpeg can be chatty
    });
    child.on('error', (e) => {
      this.problem('LW_AGENT_SOURCE_FAILED', `cannot start ${this.opts.command ?? 'ffmpeg'}: ${e.message}`);
    });
    child.on('close', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stallTimer) clearTimeout(this.stallTimer);
      if (!this.running) return;
      const delay = this.backoff.next();
      this.restarts++;
      this.problem(
        'LW_AGENT_SOURCE_FAILED',
        `ffmpeg exited (${signal ?? code}); restart in ${delay} ms: ${stderr.trim().split('\n').at(-1) ?? ''}`,
      );
      this.restartTimer = setTimeout(() => this.spawnChild(), delay);
    });
    this.armStall();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
