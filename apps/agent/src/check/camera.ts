/**
 * One camera's field check: the same source `run` uses (createSource) delivers frames for a short window; the first
 * is kept for a JPEG, the rest measure fps. A camera that delivers nothing is diagnosed from what the source said
 * (ffmpeg's last stderr line) into a code that names the fix. Preconditions that need no camera (ffmpeg on PATH,
 * the device node, the file) are checked first, so their message is exact.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { RgbImage } from '@linewatch/vision';
import { frameSource } from '../config.js';
import type { AgentConfig, CameraConfig, FreeSourceConfig } from '../config.js';
import type { AgentErrorCode } from '../errors.js';
import { createSource } from '../sources/index.js';
import type { SourceFactory } from '../sources/index.js';

export type ProbeResult =
  | { readonly ok: true; readonly frame: RgbImage; readonly fps: number; readonly frames: number }
  | { readonly ok: false; readonly code: AgentErrorCode; readonly message: string };

const fail = (code: AgentErrorCode, message: string): ProbeResult => ({ ok: false, code, message });

function ffmpegMissing(command: string): boolean {
  return spawnSync(command, ['-version'], { stdio: 'ignore' }).status !== 0;
}

/** What can be known before starting the source; undefined when nothing is wrong yet. */
function precondition(cam: FreeCamera, ffmpeg: string): ProbeResult | undefined {
  const s = cam.source;
  if (s.kind === 'synthetic') return undefined;
  if (s.kind === 'folder') {
    if (!existsSync(s.path) || !statSync(s.path).isDirectory())
      return fail('LW_AGENT_CHECK_FILE_MISSING', `folder ${s.path} does not exist`);
    if (!readdirSync(s.path).some((f) => /\.(jpe?g|png)$/i.test(f)))
      return fail('LW_AGENT_CHECK_FILE_MISSING', `folder ${s.path} holds no .jpg/.png image`);
    return undefined;
  }
  if (ffmpegMissing(ffmpeg))
    return fail('LW_AGENT_CHECK_FFMPEG_MISSING', `"${ffmpeg}" not found: install ffmpeg (apt-get install ffmpeg)`);
  if (s.kind === 'video' && !existsSync(s.path))
    return fail('LW_AGENT_CHECK_FILE_MISSING', `video ${s.path} does not exist`);
  if (s.kind === 'v4l2' && !existsSync(s.device)) {
    const present = existsSync('/dev') ? readdirSync('/dev').filter((f) => /^video\d+$/.test(f)) : [];
    return fail(
      'LW_AGENT_CHECK_DEVICE_MISSING',
      `${s.device} does not exist (present: ${present.length ? present.map((f) => `/dev/${f}`).join(', ') : 'no /dev/video*'}); check the cable, the driver and the config's device`,
    );
  }
  return undefined;
}

/** A camera that delivered nothing: what its source said, turned into the fix. */
function diagnose(cam: FreeCamera, said: string | undefined, timeoutMs: number): ProbeResult {
  const s = cam.source;
  const why = said ? `: ${said}` : '';
  if (s.kind === 'rtsp')
    return fail(
      'LW_AGENT_CHECK_RTSP_UNREACHABLE',
      `${s.url} gave no frame in ${timeoutMs} ms${why}; check the address, port, stream path and credentials, and that the camera serves RTSP${s.tcp ? ' over TCP' : ''}`,
    );
  if (s.kind === 'v4l2') {
    if (said && /changed the video|size|Invalid argument|not supported/i.test(said))
      return fail(
        'LW_AGENT_CHECK_PIXEL_SIZE',
        `${s.device} cannot deliver ${s.width}x${s.height} at ${s.fps} fps${why}; list its modes with 'v4l2-ctl --list-formats-ext'`,
      );
    return fail(
      'LW_AGENT_CHECK_DEVICE_MISSING',
      `${s.device} opened but gave no frame${why}; is it in use, or is the user not in group video?`,
    );
  }
  if (s.kind === 'mjpeg')
    return fail(
      'LW_AGENT_CHECK_NO_FRAME',
      `${s.url} gave no frame in ${timeoutMs} ms${why}; check the URL serves multipart JPEG`,
    );
  return fail('LW_AGENT_CHECK_NO_FRAME', `camera ${cam.id} gave no frame in ${timeoutMs} ms${why}`);
}

export interface ProbeOptions {
  readonly timeoutMs: number;
  /** After the first frame, how long frames are counted for the fps figure. */
  readonly measureMs?: number;
  readonly sourceFactory?: SourceFactory;
  /** The ffmpeg binary (tests point it at a missing one). */
  readonly ffmpeg?: string;
}

/** A camera whose source delivers frames by itself (a trigger camera is checked through the source it wraps). */
type FreeCamera = CameraConfig & { readonly source: FreeSourceConfig };

export async function probeCamera(camera: CameraConfig, cfg: AgentConfig, opts: ProbeOptions): Promise<ProbeResult> {
  const cam: FreeCamera = { ...camera, source: frameSource(camera.source) };
  const pre = precondition(cam, opts.ffmpeg ?? 'ffmpeg');
  if (pre) return pre;
  const source = (opts.sourceFactory ?? createSource)(cam, cfg);
  let first: RgbImage | undefined;
  let firstAt = 0;
  let frames = 0;
  let lastAt = 0;
  let said: string | undefined;
  const measureMs = opts.measureMs ?? 2000;
  let pullTimer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(resolve, opts.timeoutMs);
    source.start({
      frame: (img) => {
        const now = performance.now();
        if (!first) {
          first = img;
          firstAt = now;
          clearTimeout(deadline);
          setTimeout(resolve, measureMs);
        } else {
          frames++;
          lastAt = now;
        }
      },
      // An on-demand source (synthetic 'on-demand') is asked for frames as a pipeline would.
      pullWith: (pull) => {
        pullTimer = setInterval(pull, 1000 / cam.source.fps);
      },
      problem: (_code, message) => {
        said = message;
      },
      recovered: () => undefined,
    });
  });
  if (pullTimer) clearInterval(pullTimer);
  await source.stop();
  if (!first) return diagnose(cam, said, opts.timeoutMs);
  const { width, height } = cam.source;
  if (first.width !== width || first.height !== height)
    return fail(
      'LW_AGENT_CHECK_PIXEL_SIZE',
      `camera ${cam.id} delivered ${first.width}x${first.height}, config says ${width}x${height}`,
    );
  const fps = frames > 0 && lastAt > firstAt ? (frames * 1000) / (lastAt - firstAt) : 0;
  return { ok: true, frame: first, fps, frames: frames + 1 };
}
