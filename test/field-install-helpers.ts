/**
 * The field-install test's pieces: build + pack (or reuse a pack), install an app's install folder with
 * `npm ci --omit=dev --offline`, run an installed bin, and start the installed controller on loopback.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export type Ran = { status: number | null; stdout: string; stderr: string };

/** Runs a command to completion (bounded); throws with its output tail when it fails. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Ran {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    timeout: opts.timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ran = { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (r.status !== 0) {
    const tail = `${ran.stdout}\n${ran.stderr}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} (in ${opts.cwd}) exited ${r.status ?? r.signal}:\n${tail}`);
  }
  return ran;
}

/** `npm run build && npm run pack -- --out <dir>`; returns the packages folder. */
export function buildAndPack(out: string): string {
  run('npm', ['run', 'build', '--silent'], { cwd: ROOT, timeoutMs: 15 * 60_000 });
  run('npm', ['run', 'pack', '--silent', '--', '--out', out], { cwd: ROOT, timeoutMs: 5 * 60_000 });
  return out;
}

/**
 * better-sqlite3 installs through prebuild-install, which downloads a prebuilt binary from GitHub and otherwise
 * compiles SQLite (minutes on a small machine). This machine has no GitHub access, so the test hands it the binary
 * the workspace's own install built, through prebuild-install's documented local-prebuilds folder. Null when the
 * workspace has none (the install then compiles, slower but the same result).
 */
export function localPrebuilds(dir: string): string | null {
  const pkg = join(ROOT, 'node_modules', 'better-sqlite3');
  const binary = join(pkg, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(binary)) return null;
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  const stage = join(dir, 'stage');
  mkdirSync(join(stage, 'build', 'Release'), { recursive: true });
  cpSync(binary, join(stage, 'build', 'Release', 'better_sqlite3.node'));
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  run('tar', ['-czf', join(dir, name), '-C', stage, 'build'], { cwd: dir, timeoutMs: 30_000 });
  return dir;
}

/** Copies dist/packages/<app>/ to `dest` and runs `npm ci --omit=dev --offline` there. */
export function installApp(packages: string, app: string, dest: string, env: NodeJS.ProcessEnv = {}): void {
  cpSync(join(packages, app), dest, { recursive: true });
  run('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund'], {
    cwd: dest,
    env: { ...process.env, ...env },
    timeoutMs: 12 * 60_000,
  });
}

export const binOf = (installDir: string, app: string): string =>
  join(installDir, 'node_modules', '.bin', `linewatch-${app}`);

/** Size of a folder in MB (du -sk). */
export function sizeMb(dir: string): number {
  const out = run('du', ['-sk', dir], { cwd: dir, timeoutMs: 60_000 }).stdout;
  return Math.round(Number(out.split(/\s/)[0]) / 1024);
}

export type Started = {
  child: ChildProcess;
  httpUrl: string;
  output: () => string;
  stop: () => Promise<number | null>;
};

/** Starts an installed controller bin; resolves once it logs its HTTP address (port 0 → the real one). */
export async function startController(
  bin: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<Started> {
  const child = spawn(bin, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /Server listening at (https?:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m?.[1]) return { child, httpUrl: m[1], output: () => out, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`installed controller did not start:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
