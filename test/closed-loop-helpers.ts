/**
 * Pieces of the closed-loop e2e: the agents' synthetic camera frames re-rendered with their ground truth (same seeds
 * and generator as apps/agent/src/sources/synthetic.ts), matching a stored JPEG frame back to the frame it shows,
 * the review queue read page by page through the typed API client, and the worker as a child process.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiClient } from '@linewatch/protocol/client';
import { ListEventsRoute, type EventQueue, type EventView } from '@linewatch/protocol/http';
import { createRng, decodeImage, encodePng, generateSurface, type BinaryMask, type RgbImage } from '@linewatch/vision';

export interface CameraSpec {
  readonly width: number;
  readonly height: number;
  readonly seed: string;
  readonly defectRate: number;
  readonly distinctFrames: number;
}

export interface TruthFrame {
  readonly k: number;
  readonly image: RgbImage;
  readonly mask: BinaryMask;
  readonly defective: boolean;
}

/** The frames a synthetic camera cycles through, with the generator's exact masks. */
export function cameraFrames(camera: string, spec: CameraSpec): TruthFrame[] {
  const rng = createRng(`${spec.seed}:${camera}`);
  const defective = Array.from({ length: spec.distinctFrames }, () => rng.next() < spec.defectRate);
  return defective.map((d, k) => {
    const s = generateSurface({
      seed: `${spec.seed}:${camera}:${k}`,
      width: spec.width,
      height: spec.height,
      texture: 'grain',
      defect: d ? 'random' : 'none',
    });
    return { k, image: s.image, mask: s.mask, defective: d && s.mask.data.some((v) => v !== 0) };
  });
}

function mse(a: RgbImage, b: RgbImage): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i]! - b.data[i]!;
    sum += d * d;
  }
  return sum / a.data.length;
}

/** Which truth frame a (JPEG) event frame shows: the nearest by mean squared error, with the runner-up's error. */
export async function matchFrame(
  jpeg: Uint8Array,
  frames: readonly TruthFrame[],
): Promise<{ frame: TruthFrame; error: number; runnerUp: number }> {
  const img = await decodeImage(jpeg);
  const scored = frames.map((f) => ({ frame: f, error: mse(img, f.image) })).sort((x, y) => x.error - y.error);
  return { frame: scored[0]!.frame, error: scored[0]!.error, runnerUp: scored[1]?.error ?? Infinity };
}

/** MVTec `train/good` of normal surfaces (other seeds than the cameras'), for the parent model. */
export async function writeNormalSurfaces(
  root: string,
  spec: Pick<CameraSpec, 'width' | 'height'>,
  count: number,
  texture: 'grain' | 'brushed' = 'grain',
): Promise<void> {
  mkdirSync(join(root, 'train', 'good'), { recursive: true });
  mkdirSync(join(root, 'test', 'good'), { recursive: true });
  for (let i = 0; i < count; i++) {
    const s = generateSurface({
      seed: `parent-normal/${i}`,
      width: spec.width,
      height: spec.height,
      texture,
      defect: 'none',
    });
    writeFileSync(join(root, 'train', 'good', `${i}.png`), await encodePng(s.image));
  }
}

/** Every event of a device in the review queue, all pages (newest first). */
export async function allEvents(admin: ApiClient, deviceId: string): Promise<EventView[]> {
  const out: EventView[] = [];
  let cursor: string | null = null;
  do {
    const page: EventQueue = await admin.call(ListEventsRoute, {
      query: { deviceId, limit: 200, ...(cursor ? { cursor } : {}) },
    });
    out.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** `linewatch-trainer worker --once` as its own process (what a GPU host would run), its stderr collected. */
export function spawnWorker(args: {
  controller: string;
  token: string;
  key: string;
  workDir: string;
  id: string;
  minCalibrationNormals?: number;
}): {
  done: Promise<number | null>;
  output: () => string;
  kill: () => void;
} {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@linewatch/source',
      '--import',
      'tsx',
      join(repoRoot, 'apps/trainer/src/main.ts'),
      'worker',
      '--controller',
      args.controller,
      '--key',
      args.key,
      '--work-dir',
      args.workDir,
      '--id',
      args.id,
      '--once',
      ...(args.minCalibrationNormals !== undefined
        ? ['--min-calibration-normals', String(args.minCalibrationNormals)]
        : []),
    ],
    { cwd: repoRoot, env: { ...process.env, LW_WORKER_TOKEN: args.token }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { done, output: () => out, kill: () => child.kill('SIGKILL') };
}
