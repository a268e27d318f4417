/** One frame source per configured camera. */
import type { AgentConfig, CameraConfig } from '../config.js';
import { FfmpegSource, ffmpegInputArgs } from './ffmpeg.js';
import { FolderSource } from './folder.js';
import type { FrameSource } from './frame.js';
import { SyntheticSource } from './synthetic.js';
import { TriggerSource } from './trigger.js';

export type SourceFactory = (camera: CameraConfig, config: AgentConfig) => FrameSource;

export const createSource: SourceFactory = (camera, config) => {
  const s = camera.source;
  if (s.kind === 'trigger') {
    const inner = createSource({ ...camera, source: s.source }, config);
    return new TriggerSource({ camera: camera.id, inner, timeoutMs: s.timeoutMs, maxQueued: s.maxQueued });
  }
  const base = { camera: camera.id, width: s.width, height: s.height, fps: s.fps };
  switch (s.kind) {
    case 'synthetic':
      return new SyntheticSource({
        ...base,
        seed: s.seed,
        defectRate: s.defectRate,
        distinctFrames: s.distinctFrames,
        pace: s.pace,
      });
    case 'folder':
      return new FolderSource({ ...base, path: s.path, backoffMs: config.restartBackoff.minMs });
    default:
      return new FfmpegSource({
        ...base,
        inputArgs: ffmpegInputArgs(s),
        stallTimeoutMs: config.stallTimeoutMs,
        backoffMinMs: config.restartBackoff.minMs,
        backoffMaxMs: config.restartBackoff.maxMs,
      });
  }
};

export { FfmpegSource, ffmpegInputArgs } from './ffmpeg.js';
export { FolderSource } from './folder.js';
export { Backoff, FrameSlot } from './frame.js';
export type { CaptureTag, Frame, FrameSink, FrameSource, SourceProblem } from './frame.js';
export { SyntheticSource } from './synthetic.js';
export { TriggerSource } from './trigger.js';
