/**
 * The supervisor behind `npm start`, over tiny node children: a crash loop restarts with doubling backoff and says
 * so while the other children run on; a kill -9 of one child restarts only that one; a non-restartable child's
 * failure is fatal; SIGINT/SIGTERM/SIGHUP to the supervisor process stop every child and grandchild; a previous
 * instance (running, or SIGKILLed with its children orphaned) and a taken port are refused with their codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnProgram, type Child } from '../src/start/children.js';
import { StartError } from '../src/start/errors.js';
import { checkLeftovers, checkPorts, pidFilePath, readPidFile, writePidFile } from '../src/start/pidfile.js';
import { Supervisor } from '../src/start/supervisor.js';

const here = resolve(fileURLToPath(new URL('.', import.meta.url)));
const FIXTURE = join(here, 'fixtures', 'supervise.ts');
const LONG = "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);";
const CRASH = 'setTimeout(() => process.exit(1), 30);';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function nodeChild(dir: string, name: string, script: string): () => Child {
  return () =>
    spawnProgram({
      name,
      cwd: dir,
      command: process.execPath,
      args: ['-e', script],
      logFile: join(dir, `${name}.log`),
      stage: 0,
    });
}

function withSupervisor(dir: string, said: string[], fatal: string[] = []): Supervisor {
  return new Supervisor({
    say: (s) => said.push(s),
    logOf: (n) => join(dir, `${n}.log`),
    onFatal: (name, how) => fatal.push(`${name}:${how}`),
    initialBackoffMs: 50,
    maxBackoffMs: 200,
    stableMs: 60_000,
    graceMs: 2000,
  });
}

test(
  'a crash loop is restarted with doubling, capped backoff and said; the other child runs on',
  { timeout: 20_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-sup-'));
    const said: string[] = [];
    const sup = withSupervisor(dir, said);
    try {
      const steady = sup.add({ name: 'steady', restart: true, spawn: nodeChild(dir, 'steady', LONG) });
      sup.add({ name: 'crasher', restart: true, spawn: nodeChild(dir, 'crasher', CRASH) });
      await until('four restarts', () => sup.restartsOf('crasher') >= 4);
      const delays = said
        .filter((s) => s.startsWith('crasher exited'))
        .map((s) => /restarting it in (\d+ ms)/.exec(s)?.[1]);
      assert.deepEqual(delays.slice(0, 4), ['50 ms', '100 ms', '200 ms', '200 ms']);
      assert.match(said.join('\n'), /crasher exited unexpectedly \(1\); restarting it in 50 ms — see .*crasher\.log/);
      assert.match(said.join('\n'), /crasher restarted \(restart 1, pid \d+\)/);
      assert.equal(sup.restartsOf('steady'), 0);
      assert.ok(isAlive(steady.proc.pid!), 'the steady child was never touched');
    } finally {
      await sup.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(sup.children().every((c) => c.proc.exitCode !== null || c.proc.signalCode !== null));
  },
);

test('kill -9 of one child restarts only that child; stop() leaves nothing running', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-sup-'));
  const said: string[] = [];
  const sup = withSupervisor(dir, said);
  try {
    const a = sup.add({ name: 'edge-1', restart: true, spawn: nodeChild(dir, 'edge-1', LONG) });
    const b = sup.add({ name: 'edge-2', restart: true, spawn: nodeChild(dir, 'edge-2', LONG) });
    await sleep(200);
    process.kill(a.proc.pid!, 'SIGKILL');
    await until('edge-1 restarted', () => sup.restartsOf('edge-1') === 1);
    const again = sup.children().find((c) => c.name === 'edge-1')!;
    assert.notEqual(again.proc.pid, a.proc.pid);
    assert.match(said.join('\n'), /edge-1 exited unexpectedly \(SIGKILL\); restarting it in 50 ms/);
    assert.doesNotMatch(said.join('\n'), /stopping everything/);
    assert.ok(isAlive(b.proc.pid!) && isAlive(again.proc.pid!));
    await sup.stop();
    assert.ok(!isAlive(b.proc.pid!) && !isAlive(again.proc.pid!), 'stop() stopped both');
    await sleep(150);
    assert.equal(sup.restartsOf('edge-1'), 1, 'no restart after stop()');
  } finally {
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a non-restartable child failing is fatal and is not restarted', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-sup-'));
  const said: string[] = [];
  const fatal: string[] = [];
  const sup = withSupervisor(dir, said, fatal);
  try {
    sup.add({ name: 'controller', restart: false, spawn: nodeChild(dir, 'controller', CRASH) });
    await until('the fatal report', () => fatal.length === 1);
    assert.deepEqual(fatal, ['controller:1']);
    assert.match(said.join('\n'), /controller exited unexpectedly \(1\); stopping everything/);
    await sleep(150);
    assert.equal(sup.restartsOf('controller'), 0);
  } finally {
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

interface Run {
  readonly proc: ChildProcess;
  out: string;
  readonly exited: Promise<number | null>;
}

function runFixture(state: string, children: number): Run {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE, state, String(children)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = {
    proc,
    out: '',
    exited: new Promise((r) => proc.on('exit', (code) => r(code))),
  };
  proc.stdout!.on('data', (d: Buffer) => (run.out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (run.out += d.toString()));
  return run;
}

/** The supervisor's children and their `sleep` grandchildren, once each child has printed its grandchild. */
async function pidsOf(run: Run, state: string, n: number): Promise<number[]> {
  await until('children and grandchildren up', () => (run.out.match(/grandchild \d+/g) ?? []).length >= n, 15_000);
  const grand = [...run.out.matchAll(/grandchild (\d+)/g)].map((m) => Number(m[1]));
  const kids = readPidFile(state)!.children.map((c) => c.pid);
  assert.equal(kids.length, n);
  return [...kids, ...grand];
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  test(
    `${signal} to the supervisor stops every child and grandchild and removes the pid file`,
    { timeout: 30_000 },
    async () => {
      const state = mkdtempSync(join(tmpdir(), 'lw-sup-'));
      const run = runFixture(state, 2);
      try {
        const pids = await pidsOf(run, state, 2);
        assert.ok(pids.every(isAlive));
        run.proc.kill(signal);
        assert.equal(await run.exited, 0, run.out);
        assert.match(run.out, new RegExp(`${signal}: stopping[\\s\\S]*sup: stopped`));
        await until('no process left', () => !pids.some(isAlive), 5000);
        assert.equal(existsSync(pidFilePath(state)), false);
      } finally {
        run.proc.kill('SIGKILL');
        rmSync(state, { recursive: true, force: true });
      }
    },
  );
}

test(
  "a running instance and a SIGKILLed one's orphans are refused with their codes; a stale file is cleared",
  { timeout: 30_000 },
  async () => {
    const state = mkdtempSync(join(tmpdir(), 'lw-sup-'));
    const run = runFixture(state, 2);
    let orphans: number[] = [];
    try {
      orphans = await pidsOf(run, state, 2);
      assert.throws(
        () => checkLeftovers(state),
        (e: unknown) =>
          e instanceof StartError && e.code === 'LW_TOOLS_START_RUNNING' && e.message.includes(`pid ${run.proc.pid}`),
      );
      // What a closed terminal did before SIGHUP was handled, or an OOM kill: the children outlive their supervisor.
      run.proc.kill('SIGKILL');
      await run.exited;
      const kids = readPidFile(state)!.children.map((c) => c.pid);
      assert.throws(
        () => checkLeftovers(state),
        (e: unknown) =>
          e instanceof StartError &&
          e.code === 'LW_TOOLS_START_LEFTOVERS' &&
          e.message.includes(`kill ${kids.join(' ')}`) &&
          e.message.includes('child-1 (pid'),
      );
      for (const pid of kids) process.kill(-pid, 'SIGKILL');
      await until('orphans gone', () => !orphans.some(isAlive), 5000);
      // Dead pids, and a live pid that now runs another command (reuse): neither blocks a start, and the file goes.
      writePidFile(state, {
        supervisor: { name: 'npm start', pid: kids[0]!, cmd: 'node start.ts' },
        children: [{ name: 'edge-1', pid: process.pid, cmd: 'node something-else' }],
      });
      checkLeftovers(state);
      assert.equal(existsSync(pidFilePath(state)), false);
    } finally {
      run.proc.kill('SIGKILL');
      for (const pid of orphans) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(state, { recursive: true, force: true });
    }
  },
);

test('a port in use is refused with its code and the knob that moves it', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    await assert.rejects(
      checkPorts([{ port, knob: 'LW_HTTP_PORT' }]),
      (e: unknown) =>
        e instanceof StartError &&
        e.code === 'LW_TOOLS_START_PORT_IN_USE' &&
        e.message.includes(`port ${port}`) &&
        e.message.includes('LW_HTTP_PORT'),
    );
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  await checkPorts([{ port, knob: 'LW_HTTP_PORT' }]);
});
