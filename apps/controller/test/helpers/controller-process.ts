/**
 * Runs the real controller (`src/main.ts`) as a child process, the way an operator would: config from a JSON file
 * plus `LW_*` environment, a data directory that outlives the process, fixed loopback ports so a restart comes back
 * on the same addresses. Used by the crash tests, which need a process they can SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const controllerDir = fileURLToPath(new URL('../..', import.meta.url));

/** A port that was free a moment ago (bind 0, read, close). Good enough on loopback in a test. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ControllerSpec {
  dataDir: string;
  httpPort: number;
  mqttPort: number;
  /** The child's base environment (the caller passes process.env: only config*.ts and tests may read it). */
  env: NodeJS.ProcessEnv;
  /** More config for the file (db, mqtt, files, …); dataDir and http come from the fields above. */
  config?: Record<string, unknown>;
}

export interface ControllerProcess {
  child: ChildProcess;
  /** Everything the child wrote to stdout and stderr so far (for failure messages). */
  output: () => string;
  /** Resolves with the exit code/signal once the child is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Writes the config file (once per data dir) and starts the controller; resolves when /healthz answers. */
export async function startController(spec: ControllerSpec, timeoutMs = 30_000): Promise<ControllerProcess> {
  const configFile = join(spec.dataDir, 'controller.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      ...spec.config,
      dataDir: spec.dataDir,
      http: { host: '127.0.0.1', port: spec.httpPort, docs: false },
    }),
  );
  const child = spawn(process.execPath, ['--conditions=@linewatch/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: controllerDir,
    env: {
      LW_LOG_LEVEL: 'warn',
      ...spec.env,
      LW_CONTROLLER_CONFIG: configFile,
      LW_MQTT_HOST: '127.0.0.1',
      LW_MQTT_PORT: String(spec.mqttPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc: ControllerProcess = { child, output: () => out, exited };
  let gone = false;
  void exited.then(() => (gone = true));
  const start = Date.now();
  for (;;) {
    if (gone) throw new Error(`controller exited during start-up:\n${out}`);
    if (Date.now() - start > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`controller did not answer /healthz within ${timeoutMs} ms:\n${out}`);
    }
    const ok = await fetch(`http://127.0.0.1:${spec.httpPort}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return proc;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends a signal and waits for the exit (SIGKILL after `graceMs` if a gentler signal is ignored). */
export async function stopController(p: ControllerProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000) {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}
