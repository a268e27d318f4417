/**
 * The processes `npm start` runs: each a `node --import tsx` child with its output appended to a log file under
 * `.linewatch/logs/`, optionally watched line by line. Shutdown sends SIGTERM in stages (agents first, so they can
 * still say goodbye over MQTT while the broker is up), waits for each stage, and SIGKILLs only what ignores it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<number | NodeJS.Signals | null>;
  /** Shutdown stage: lower stops first. */
  readonly stage: number;
}

export interface SpawnOptions {
  readonly name: string;
  readonly root: string;
  /** TypeScript entry, relative to the repository root. */
  readonly entry: string;
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  readonly logFile: string;
  readonly stage: number;
  /** Each stdout/stderr line (after it went to the log file). */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Rewrites each line before it reaches the log file (secrets the terminal may see but a file must not keep). */
  readonly redact?: (line: string) => string;
}

/** Any program (the supervisor's tests run tiny scripts); `spawnTs` is this with node + tsx. */
export interface SpawnProgramOptions {
  readonly name: string;
  readonly cwd: string;
  readonly command: string;
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  readonly logFile: string;
  readonly stage: number;
  /** Each stdout/stderr line (after it went to the log file). */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  readonly redact?: (line: string) => string;
}

export function spawnTs(o: SpawnOptions): Child {
  return spawnProgram({
    ...o,
    cwd: o.root,
    command: process.execPath,
    args: ['--conditions=@linewatch/source', '--import', 'tsx', o.entry, ...(o.args ?? [])],
  });
}

export function spawnProgram(o: SpawnProgramOptions): Child {
  // Logs name devices, URLs and paths: owner-only, also for a log an older version created 0644.
  if (existsSync(o.logFile)) chmodSync(o.logFile, 0o600);
  const log: WriteStream = createWriteStream(o.logFile, { flags: 'a', mode: 0o600 });
  log.write(`\n--- ${new Date().toISOString()} ${o.name} starting ---\n`);
  const proc = spawn(o.command, [...(o.args ?? [])], {
    cwd: o.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...o.env },
    // Own process group: a terminal's Ctrl-C reaches only `npm start`, which then stops the children in order, and
    // the group id lets the stop reach what a child started itself (ffmpeg for an RTSP camera).
    detached: true,
  });
  for (const stream of ['stdout', 'stderr'] as const) {
    const s = proc[stream]!;
    if (!o.redact) s.pipe(log, { end: false });
    if (!o.onLine && !o.redact) continue;
    createInterface({ input: s }).on('line', (l) => {
      if (o.redact && !log.writableEnded) log.write(`${o.redact(l)}\n`);
      o.onLine?.(l, stream);
    });
  }
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    proc.on('exit', (code, signal) => {
      log.end(`--- ${o.name} exited (${signal ?? code}) ---\n`);
      resolve(signal ?? code);
    }),
  );
  return { name: o.name, proc, exited, stage: o.stage };
}

/** SIGKILL what is left of a child's process group (its own children) once the child itself is gone. */
export function killGroup(c: Child): void {
  if (c.proc.pid === undefined) return;
  try {
    process.kill(-c.proc.pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is empty, which is the normal case.
  }
}

/** Runs a TypeScript entry to completion with the terminal attached (progress bars stay live); resolves its code. */
export function runTsInherit(root: string, entry: string, args: readonly string[]): Promise<number> {
  const proc = spawn(process.execPath, ['--conditions=@linewatch/source', '--import', 'tsx', entry, ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  return new Promise((resolve) => proc.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

/** Last resort when `npm start` itself exits without the staged stop (an uncaught error): no orphans. */
export function killOnExit(children: () => readonly Child[]): void {
  process.on('exit', () => {
    for (const c of children()) {
      if (alive(c)) c.proc.kill('SIGKILL');
      killGroup(c);
    }
  });
}

export const alive = (c: Child): boolean => c.proc.exitCode === null && c.proc.signalCode === null;

/** SIGTERM stage by stage, waiting up to `graceMs` per stage; SIGKILL for anything still running after that. */
export async function stopAll(
  children: readonly Child[],
  graceMs = 8000,
  say: (s: string) => void = () => {},
): Promise<void> {
  const stages = [...new Set(children.map((c) => c.stage))].sort((a, b) => a - b);
  for (const stage of stages) {
    const group = children.filter((c) => c.stage === stage && alive(c));
    if (group.length === 0) continue;
    say(`stopping ${group.map((c) => c.name).join(', ')}`);
    for (const c of group) c.proc.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    await Promise.race([Promise.all(group.map((c) => c.exited)), timeout]);
    for (const c of group) {
      if (alive(c)) {
        say(`${c.name} ignored SIGTERM for ${graceMs} ms: killing it`);
        c.proc.kill('SIGKILL');
        await c.exited;
      }
      killGroup(c);
    }
  }
}
