/**
 * The state folder's pid file (`start.pid.json`): which `npm start` runs on it and the pids of its children, kept up
 * to date on every (re)start. A start first reads it: a live supervisor means another instance is running; live
 * children without their supervisor are a previous instance's orphans (it was SIGKILLed, or a terminal closed on an
 * old version) that would collide with this start (duplicate MQTT client ids, EADDRINUSE). Both are coded refusals
 * that name the pids. Pid reuse is ruled out by comparing each pid's command line with the one recorded.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { StartError } from './errors.js';

export interface PidRecord {
  readonly name: string;
  readonly pid: number;
  /** argv joined by spaces, as /proc/<pid>/cmdline shows it. */
  readonly cmd: string;
}

export interface PidFile {
  readonly supervisor: PidRecord;
  readonly children: readonly PidRecord[];
}

export const pidFilePath = (state: string): string => join(state, 'start.pid.json');

function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}

/** The process is alive and, where /proc tells, still runs the command recorded (not a reused pid). */
export function stillRunning(r: PidRecord): boolean {
  try {
    process.kill(r.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!existsSync('/proc/self/cmdline')) return true;
  const cmd = cmdlineOf(r.pid);
  return cmd !== undefined && cmd === r.cmd;
}

export function readPidFile(state: string): PidFile | undefined {
  const path = pidFilePath(state);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PidFile;
  } catch {
    return undefined; // a torn write of a crashed start: nothing trustworthy to check
  }
}

/** Refuses (coded) when a previous instance on this state folder is running or left children; else clears its file. */
export function checkLeftovers(state: string): void {
  const prev = readPidFile(state);
  if (!prev) return;
  if (stillRunning(prev.supervisor)) {
    throw new StartError(
      'LW_TOOLS_START_RUNNING',
      `npm start (pid ${prev.supervisor.pid}) is already running on ${state}; stop it with Ctrl-C in its terminal or \`kill ${prev.supervisor.pid}\`, or set LW_START_DIR to another folder`,
      { pid: prev.supervisor.pid },
    );
  }
  const orphans = prev.children.filter(stillRunning);
  if (orphans.length > 0) {
    const pids = orphans.map((o) => o.pid);
    throw new StartError(
      'LW_TOOLS_START_LEFTOVERS',
      `a previous npm start on ${state} died and left ${orphans.map((o) => `${o.name} (pid ${o.pid})`).join(', ')} running; stop them with \`kill ${pids.join(' ')}\` and start again`,
      { pids },
    );
  }
  rmSync(pidFilePath(state), { force: true });
}

/** Written whole then renamed, so a reader never sees half a file. */
export function writePidFile(state: string, file: PidFile): void {
  const path = pidFilePath(state);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

export const removePidFile = (state: string): void => rmSync(pidFilePath(state), { force: true });

export function recordOf(name: string, pid: number | undefined, argv: readonly string[]): PidRecord {
  return { name, pid: pid ?? -1, cmd: argv.join(' ') };
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, host, () => s.close(() => res(true)));
  });
}

/** Each port must be free on the host the controller binds; `knobs` names the variable that moves each one. */
export async function checkPorts(ports: readonly { port: number; knob: string }[], host = '127.0.0.1'): Promise<void> {
  for (const { port, knob } of ports) {
    if (!(await portFree(port, host))) {
      throw new StartError(
        'LW_TOOLS_START_PORT_IN_USE',
        `port ${port} on ${host} is in use by another program (\`ss -ltnp 'sport = :${port}'\` shows which); stop it or set ${knob} to a free port`,
        { port, knob },
      );
    }
  }
}

/** This process as /proc records it (so `stillRunning` compares like with like), else its argv. */
export function selfRecord(): PidRecord {
  return { name: 'npm start', pid: process.pid, cmd: cmdlineOf(process.pid) ?? process.argv.join(' ') };
}
