/**
 * Pieces of the closed-loop e2e: the agents' synthetic camera frames re-rendered with their ground truth (same seeds
 * and generator as apps/agent/src/sources/synthetic.ts), matching a stored JPEG frame back to the frame it shows,
 * an admin session over real HTTP, and the worker as a child process.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    const s = generateSurface({ seed: `${spec.seed}:${camera}:${k}`, width: spec.width, height: spec.height, texture: 'grain', defect: d ? 'random' : 'none' });
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
export async function matchFrame(jpeg: Uint8Array, frames: readonly TruthFrame[]): Promise<{ frame: TruthFrame; error: number; runnerUp: number }> {
  const img = await decodeImage(jpeg);
  const scored = frames.map((f) => ({ frame: f, error: mse(img, f.image) })).sort((x, y) => x.error - y.error);
  return { frame: scored[0]!.frame, error: scored[0]!.error, runnerUp: scored[1]?.error ?? Infinity };
}

/** MVTec `train/good` of normal surfaces (other seeds than the cameras'), for the parent model. */
export async function writeNormalSurfaces(root: string, spec: Pick<CameraSpec, 'width' | 'height'>, count: number, texture: 'grain' | 'brushed' = 'grain'): Promise<void> {
  mkdirSync(join(root, 'train', 'good'), { recursive: true });
  mkdirSync(join(root, 'test', 'good'), { recursive: true });
  for (let i = 0; i < count; i++) {
    const s = generateSurface({ seed: `parent-normal/${i}`, width: spec.width, height: spec.height, texture, defect: 'none' });
    writeFileSync(join(root, 'train', 'good', `${i}.png`), await encodePng(s.image));
  }
}

export class AdminHttp {
  private constructor(readonly base: string, private readonly cookie: string, private readonly csrf: string) {}

  static async login(base: string, password: string): Promise<AdminHttp> {
    const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('lw_session='))!.split(';')[0]!;
    return new AdminHttp(base, cookie, ((await res.json()) as { csrfToken: string }).csrfToken);
  }

  async req(method: string, path: string, body?: unknown, raw?: { bytes: Uint8Array; type: string }): Promise<{ status: number; body: unknown; bytes: Uint8Array }> {
    const headers: Record<string, string> = { cookie: this.cookie, 'x-csrf-token': this.csrf };
    let payload: string | Uint8Array | undefined;
    if (raw) {
      headers['content-type'] = raw.type;
      payload = raw.bytes;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.base}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const bytes = new Uint8Array(await res.arrayBuffer());
    let parsed: unknown = null;
    if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(new TextDecoder().decode(bytes));
    return { status: res.status, body: parsed, bytes };
  }

  /** JSON of a 2xx answer; anything else throws with the body. */
  async ok<T>(method: string, path: string, body?: unknown, raw?: { bytes: Uint8Array; type: string }): Promise<T> {
    const r = await this.req(method, path, body, raw);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as T;
  }
}

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** `linewatch-trainer worker --once` as its own process (what a GPU host would run), its stderr collected. */
export function spawnWorker(args: { controller: string; token: string; key: string; workDir: string; id: string }): { done: Promise<number | null>; output: () => string; kill: () => void } {
  const child = spawn(
    process.execPath,
    ['--conditions=@linewatch/source', '--import', 'tsx', join(repoRoot, 'apps/trainer/src/main.ts'), 'worker', '--controller', args.controller, '--key', args.key, '--work-dir', args.workDir, '--id', args.id, '--once'],
    { cwd: repoRoot, env: { ...process.env, LW_WORKER_TOKEN: args.token }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { done, output: () => out, kill: () => child.kill('SIGKILL') };
}
