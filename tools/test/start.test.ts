/**
 * `npm start` as a user runs it, on a throw-away state folder and free ports (tiny preset, two agents to keep it
 * short): first start trains, provisions and registers; the agents come online with the first model; a kill -9 of
 * one agent restarts that agent (said on the terminal) and stops nothing else; a second `npm start` on the same
 * state folder is refused (LW_TOOLS_START_RUNNING, exit 2); Ctrl-C (SIGINT to start.ts) stops every process in
 * order and exits 0, leaving nothing listening. The one-time admin password is printed but kept out of the
 * controller's log; once changed, the next start does not print it. A second start reuses the state and is stopped
 * by SIGHUP (the terminal closing) just as cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CHANGED = 'changed-by-the-start-test';

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function start(
  state: string,
  http: number,
  mqtt: number,
): { out: () => string; exited: Promise<number | null>; pid: number; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, ['--conditions=@linewatch/source', '--import', 'tsx', 'tools/src/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      LW_START_DIR: state,
      LW_HTTP_PORT: String(http),
      LW_MQTT_PORT: String(mqtt),
      LW_START_AGENTS: '2',
      LW_START_PRESET: 'tiny',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { out: () => out, exited, pid: child.pid!, kill: (s) => child.kill(s) };
}

async function listening(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(true));
    s.listen(port, '127.0.0.1', () => s.close(() => res(false)));
  });
}

test(
  'npm start: first start sets everything up, agents come online, Ctrl-C stops it all cleanly; restart reuses state',
  { timeout: 300_000 },
  async () => {
    const state = mkdtempSync(join(tmpdir(), 'lw-start-'));
    const [http, mqtt] = [await freePort(), await freePort()];
    const base = `http://127.0.0.1:${http}`;
    let run: ReturnType<typeof start> | undefined;
    let oneTime = '';
    try {
      for (const round of ['first', 'second'] as const) {
        run = start(state, http, mqtt);
        const r = run;
        await until(
          '"linewatch is running"',
          async () => (r.out().includes('linewatch is running') ? true : undefined),
          240_000,
        ).catch((e: unknown) => {
          throw new Error(`${String(e)}\n${r.out()}`);
        });
        if (round === 'first') {
          assert.match(r.out(), /training the initial normal-only model/);
          assert.match(r.out(), /provisioned device edge-2/);
          assert.match(r.out(), /registered the initial model as \S+/);
        } else {
          assert.doesNotMatch(
            r.out(),
            /first start:|provisioned device|registered the initial/,
            'the second start reuses keys, model and devices',
          );
        }
        if (round === 'first') {
          oneTime = readFileSync(join(state, 'admin-password'), 'utf8').trim();
          assert.ok(r.out().includes(`admin / ${oneTime}`), 'prints the one-time admin login');
          const log = readFileSync(join(state, 'logs', 'controller.log'), 'utf8');
          assert.ok(!log.includes(oneTime), 'the one-time password is not in the controller log');
          // The user's first sign-in: the one-time password only lets them change it.
          const first = await fetch(`${base}/api/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: 'admin', password: oneTime }),
          });
          assert.equal(first.status, 200);
          const changed = await fetch(`${base}/api/auth/password`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              cookie: first.headers.getSetCookie()[0]!.split(';')[0]!,
              'x-csrf-token': ((await first.json()) as { csrfToken: string }).csrfToken,
            },
            body: JSON.stringify({ currentPassword: oneTime, newPassword: CHANGED }),
          });
          assert.equal(changed.status, 204, await changed.text());
        } else {
          assert.ok(!r.out().includes(oneTime), 'a changed password is not printed again');
          assert.match(r.out(), /login: {2}admin \/ \(your password: the one-time password was changed\)/);
          assert.equal(existsSync(join(state, 'admin-password')), false, 'the stale password file is gone');
        }
        const login = await fetch(`${base}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: CHANGED }),
        });
        assert.equal(login.status, 200);
        const cookie = login.headers
          .getSetCookie()
          .find((c) => c.startsWith('lw_session='))!
          .split(';')[0]!;
        const version = (JSON.parse(readFileSync(join(state, 'setup.json'), 'utf8')) as { initialVersion: string })
          .initialVersion;
        const bothOnline = (): Promise<true> =>
          until(
            'both agents online on the first model',
            async () => {
              const fleet = (await (await fetch(`${base}/api/fleet`, { headers: { cookie } })).json()) as {
                devices: { deviceId: string; online: boolean; modelVersion: string | null }[];
              };
              const on = fleet.devices.filter((d) => d.online && d.modelVersion === version);
              return on.length === 2 ? true : undefined;
            },
            60_000,
          );
        await bothOnline();

        if (round === 'first') {
          const pids = JSON.parse(readFileSync(join(state, 'start.pid.json'), 'utf8')) as {
            children: { name: string; pid: number }[];
          };
          process.kill(pids.children.find((c) => c.name === 'edge-1')!.pid, 'SIGKILL');
          await until('edge-1 restarted', async () => (/edge-1 restarted/.test(r.out()) ? true : undefined), 20_000);
          assert.match(r.out(), /edge-1 exited unexpectedly \(SIGKILL\); restarting it in 1 s/);
          assert.doesNotMatch(r.out(), /stopping everything/);
          await bothOnline();
          const second = start(state, http, mqtt);
          assert.equal(await second.exited, 2, second.out());
          assert.match(
            second.out(),
            new RegExp(`LW_TOOLS_START_RUNNING: npm start \\(pid ${r.pid}\\) is already running`),
          );
        }

        r.kill(round === 'first' ? 'SIGINT' : 'SIGHUP');
        const code = await Promise.race([
          r.exited,
          new Promise<'hung'>((res) => setTimeout(() => res('hung'), 40_000).unref()),
        ]);
        assert.equal(code, 0, r.out());
        assert.match(
          r.out(),
          /stopping edge-1, edge-2[\s\S]*stopping worker[\s\S]*stopping controller[\s\S]*linewatch: stopped/,
        );
        assert.doesNotMatch(r.out(), /ignored SIGTERM/, 'every child stopped on SIGTERM');
        assert.equal(await listening(http), false, 'HTTP port released');
        assert.equal(await listening(mqtt), false, 'MQTT port released');
        for (const name of ['controller', 'worker', 'edge-1', 'edge-2']) {
          const log = readFileSync(join(state, 'logs', `${name}.log`), 'utf8');
          assert.match(
            log.trim().split('\n').at(-1)!,
            new RegExp(`--- ${name} exited \\((0|SIGTERM)\\) ---`),
            `${name} exited by itself`,
          );
        }
      }
      assert.ok(existsSync(join(state, 'models', 'initial', 'manifest.json')));
    } finally {
      // Gracefully first: start.ts's children run in their own process groups, so a SIGKILL of start.ts alone would
      // orphan them.
      if (run) {
        run.kill('SIGINT'); // a no-op when it already exited
        const gone = await Promise.race([
          run.exited.then(() => true),
          new Promise<boolean>((res) => setTimeout(() => res(false), 30_000).unref()),
        ]);
        if (!gone) run.kill('SIGKILL');
      }
      rmSync(state, { recursive: true, force: true });
    }
  },
);
