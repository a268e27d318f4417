/**
 * `npm start`: the whole loop on this machine with embedded defaults — the controller (in-process MQTT broker,
 * SQLite, local files), a trainer worker, and agents on synthetic cameras with defects at a realistic rate.
 *
 * First start (everything kept in `.linewatch/` at the repository root, git-ignored): a signing key pair, the first
 * normal-only model trained on synthetic normal surfaces (`demo` preset, progress bar, about a minute), the
 * controller's config (worker token, trusted key), the bootstrap admin, the demo devices provisioned through the
 * admin API and the first model registered. Later starts reuse all of it.
 *
 * Supervision (start/supervisor.ts): an agent or the worker that crashes is restarted with backoff and the terminal
 * says so; the controller failing stops everything. Ctrl-C, SIGTERM and SIGHUP (the terminal closed) stop every
 * child's process group: agents first (they still reach the broker to say goodbye), then the worker and the
 * controller; SIGKILL only for a process that ignores SIGTERM. A previous instance still running on the state folder,
 * or its orphans, or another program on the ports, is refused before anything starts (LW_TOOLS_START_*).
 *
 * Knobs (environment): LW_HTTP_PORT (8080), LW_MQTT_PORT (1883), LW_START_AGENTS (3), LW_START_DIR (.linewatch),
 * LW_START_PRESET (demo).
 *
 * Exit codes: 0 stopped by a signal; 1 a step or the controller failed; 2 refused to start (LW_TOOLS_START_*).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killOnExit, runTsInherit, spawnTs, type Child } from './start/children.js';
import { checkLeftovers, checkPorts, recordOf, removePidFile, selfRecord, writePidFile } from './start/pidfile.js';
import { setupSession } from './start/admin.js';
import { StartError } from './start/errors.js';
import { onStopSignals, Supervisor } from './start/supervisor.js';
import {
  ensureSecrets,
  oneTimePasswordWorks,
  provision,
  registerModel,
  setRolloutPolicy,
  waitForHttp,
  writeControllerConfig,
  writeDemoData,
  type DemoLayout,
  type Secrets,
} from './start/setup.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const state = resolve(root, process.env['LW_START_DIR'] ?? '.linewatch');
const httpPort = Number(process.env['LW_HTTP_PORT'] ?? 8080);
const mqttPort = Number(process.env['LW_MQTT_PORT'] ?? 1883);
const agentCount = Math.max(2, Number(process.env['LW_START_AGENTS'] ?? 3));
const preset = process.env['LW_START_PRESET'] ?? 'demo';
const base = `http://127.0.0.1:${httpPort}`;
const layout: DemoLayout = {
  site: 'demo-plant',
  line: 'line-1',
  devices: Array.from({ length: agentCount }, (_, i) => `edge-${i + 1}`),
  frame: { width: 160, height: 120 },
};
const TRAINER = 'apps/trainer/src/main.ts';
const paths = {
  keys: join(state, 'keys'),
  privateKey: join(state, 'keys', 'signing-key.pem'),
  publicKey: join(state, 'keys', 'signing-key.pub.pem'),
  data: join(state, 'demo-data'),
  model: join(state, 'models', 'initial'),
  controllerConfig: join(state, 'controller.json'),
  adminPassword: join(state, 'admin-password'),
  controllerPassword: join(state, 'controller', 'initial-admin-password'),
  setup: join(state, 'setup.json'),
  logs: join(state, 'logs'),
};
const say = (s: string): void => console.log(`linewatch: ${s}`);
/** The controller's first-start line (stdout only) carrying the bootstrap admin's one-time password. */
const ONE_TIME = /one-time password: (\S+)/;

const supervisor = new Supervisor({
  say,
  logOf: (name) => join(paths.logs, `${name}.log`),
  onFatal: () => void shutdown(1),
  onChange: (running) =>
    writePidFile(state, {
      supervisor: selfRecord(),
      children: running.map((c) => recordOf(c.name, c.proc.pid, c.proc.spawnargs)),
    }),
});
killOnExit(() => supervisor.children());
let stopping = false;
let ownsPidFile = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    const started = supervisor.children().length > 0;
    await supervisor.stop();
    if (ownsPidFile) removePidFile(state);
    if (started) say('stopped');
  }
  process.exit(code);
}
onStopSignals(() => void shutdown(0));

/** Agents and the worker restart on their own; the controller is what they all talk to, so its failure is fatal. */
function watch(name: string, restart: boolean, spawnIt: () => Child): Child {
  return supervisor.add({ name, restart, spawn: spawnIt });
}

/** Refuses a second instance, a previous one's orphans and taken ports; then claims the state folder. */
async function claimState(): Promise<void> {
  checkLeftovers(state);
  await checkPorts([
    { port: httpPort, knob: 'LW_HTTP_PORT' },
    { port: mqttPort, knob: 'LW_MQTT_PORT' },
  ]);
  writePidFile(state, { supervisor: selfRecord(), children: [] });
  ownsPidFile = true;
}

interface SetupState {
  initialVersion?: string;
  demoPolicy?: boolean;
}
const readSetup = (): SetupState =>
  existsSync(paths.setup) ? (JSON.parse(readFileSync(paths.setup, 'utf8')) as SetupState) : {};

/** The controller's prisma client is generated from its schema (offline, about a second) rather than committed. */
function generateDatabaseClient(): void {
  const gen = spawnSync(process.execPath, ['apps/controller/scripts/prisma-generate.mjs'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (gen.status !== 0) throw new Error('generating the controller database client failed; see above');
}

/** Signing keys and the first model, each made once: the trainer signs, the controller and the agents trust. */
async function ensureKeysAndModel(): Promise<void> {
  if (!existsSync(paths.privateKey)) {
    say('first start: generating the Ed25519 model-signing key pair');
    if ((await runTsInherit(root, TRAINER, ['keygen', '--out', paths.keys])) !== 0) throw new Error('keygen failed');
  }
  // Normal-only, trained on synthetic normal surfaces like the agents' cameras show.
  if (!existsSync(join(paths.model, 'manifest.json'))) {
    say(`first start: training the initial normal-only model (preset ${preset}) on synthetic normal surfaces`);
    await writeDemoData(paths.data, layout, 200);
    const code = await runTsInherit(root, TRAINER, [
      'train',
      '--data',
      paths.data,
      '--preset',
      preset,
      '--out',
      paths.model,
      '--key',
      paths.privateKey,
    ]);
    if (code !== 0) throw new Error(`training the initial model failed (exit ${code})`);
  }
}

async function startController(secrets: Secrets): Promise<void> {
  writeControllerConfig(paths.controllerConfig, {
    dataDir: join(state, 'controller'),
    httpPort,
    mqttPort,
    secrets,
    trustedKey: paths.publicKey,
  });
  say(
    `starting the controller (embedded MQTT broker on :${mqttPort}, SQLite and files in ${join(state, 'controller')})`,
  );
  const controller = watch('controller', false, () =>
    spawnTs({
      name: 'controller',
      root,
      entry: 'apps/controller/src/main.ts',
      logFile: join(paths.logs, 'controller.log'),
      stage: 2,
      env: { LW_CONTROLLER_CONFIG: paths.controllerConfig },
      onLine: (line) => {
        const m = ONE_TIME.exec(line);
        if (m) {
          writeFileSync(paths.adminPassword, `${m[1]}\n`, { mode: 0o600 });
          chmodSync(paths.adminPassword, 0o600);
        }
      },
      // The password goes to the 0600 admin-password file only, never into the log.
      redact: (line) => line.replace(ONE_TIME, 'one-time password: (kept in admin-password)'),
    }),
  );
  await waitForHttp(`${base}/healthz`, 60_000, () => controller.proc.exitCode === null);
}

const agentConfigPath = (id: string): string => join(state, 'agents', id, 'config.json');

function writeAgentConfig(id: string, creds: { username: string; password: string }): void {
  mkdirSync(join(state, 'agents', id), { recursive: true });
  const cfg = {
    site: layout.site,
    line: layout.line,
    device: id,
    broker: {
      url: `mqtt://127.0.0.1:${mqttPort}`,
      username: creds.username,
      password: creds.password,
      reconnectMs: 1000,
    },
    cameras: [
      {
        id: 'cam-1',
        source: { kind: 'synthetic', ...layout.frame, fps: 2, seed: id, defectRate: 0.06, distinctFrames: 600 },
      },
    ],
    inference: { executionProviders: ['cpu'], intraOpThreads: 1, warmUpRuns: 1 },
    model: { trustedKeyPath: paths.publicKey, initialPackage: paths.model },
    dataDir: join(state, 'agents', id, 'data'),
    healthIntervalS: 5,
    logLevel: 'info',
  };
  writeFileSync(agentConfigPath(id), `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
}

/**
 * The admin's current password: the controller's own owner-only file (`initial-admin-password` in its data folder),
 * else the one-time password captured from its first-start line. A fresh database writes it before listening; give
 * it a moment.
 */
async function adminPassword(waitMs = 5000): Promise<string | undefined> {
  const files = [paths.controllerPassword, paths.adminPassword];
  for (let t = 0; t < waitMs && !files.some((f) => existsSync(f)); t += 100)
    await new Promise((r) => setTimeout(r, 100));
  const file = files.find((f) => existsSync(f));
  return file === undefined ? undefined : readFileSync(file, 'utf8').trim();
}

/** Both files follow the password the setup leaves the admin with (the controller's only where it keeps one). */
function rememberPassword(password: string): void {
  for (const f of [paths.adminPassword, ...(existsSync(paths.controllerPassword) ? [paths.controllerPassword] : [])]) {
    writeFileSync(f, `${password}\n`, { mode: 0o600 });
    chmodSync(f, 0o600);
  }
}

/** Devices, the first model's registration and the demo rollout pace, as the bootstrap admin (each once). */
async function setUpThroughAdminApi(): Promise<void> {
  const setup = readSetup();
  const missing = layout.devices.filter((d) => !existsSync(agentConfigPath(d)));
  if (missing.length === 0 && setup.initialVersion && setup.demoPolicy) return;
  const password = await adminPassword();
  if (password === undefined) {
    throw new Error(
      `the controller in ${join(state, 'controller')} was set up before but its admin password file is gone; remove ${state} to start over`,
    );
  }
  const session = await setupSession(base, password, rememberPassword);
  const api = session.api;
  for (const id of missing) {
    writeAgentConfig(id, await provision(api, id, layout.site, layout.line));
    say(`provisioned device ${id} on ${layout.site}/${layout.line}`);
  }
  if (!setup.initialVersion) {
    setup.initialVersion = await registerModel(api, paths.model, layout.line);
    say(`registered the initial model as ${setup.initialVersion}`);
  }
  if (!setup.demoPolicy) {
    await setRolloutPolicy(api, layout.line);
    setup.demoPolicy = true;
    say(`rollouts on ${layout.line}: canary first, then waves, each observed for 45 s (demo pace)`);
  }
  await session.finish();
  writeFileSync(paths.setup, `${JSON.stringify(setup, null, 2)}\n`, { mode: 0o600 });
}

function startWorkerAndAgents(secrets: Secrets): void {
  watch('worker', true, () =>
    spawnTs({
      name: 'worker',
      root,
      entry: TRAINER,
      logFile: join(paths.logs, 'worker.log'),
      stage: 1,
      args: [
        'worker',
        '--controller',
        base,
        '--key',
        paths.privateKey,
        '--work-dir',
        join(state, 'worker'),
        '--id',
        'local-worker',
      ],
      env: { LW_WORKER_TOKEN: secrets.workerToken },
      // The worker's own log lines (claimed / completed / failed) are worth seeing here; progress stays in the log.
      onLine: (line) => {
        if (line.startsWith('[worker ')) console.log(line.replace(/^\[worker \S+\] /, '[worker] '));
      },
    }),
  );
  for (const id of layout.devices) {
    watch(id, true, () =>
      spawnTs({
        name: id,
        root,
        entry: 'apps/agent/src/main.ts',
        args: [agentConfigPath(id)],
        logFile: join(paths.logs, `${id}.log`),
        stage: 0,
      }),
    );
  }
}

/**
 * The admin login line: the one-time password while it still signs in; once the admin changed it, neither the old
 * one nor a hint of the new one is printed, and the file holding the old one goes.
 */
async function loginLine(): Promise<string> {
  const password = await adminPassword(0);
  if (password === undefined) return 'admin / (your password)';
  if (await oneTimePasswordWorks(base, password)) {
    return `admin / ${password}   (one-time password from the first start, kept in ${paths.adminPassword}; the UI asks you to change it)`;
  }
  rmSync(paths.adminPassword, { force: true });
  return 'admin / (your password: the one-time password was changed)';
}

async function printRunning(): Promise<void> {
  const login = await loginLine();
  console.log(
    [
      '',
      `linewatch is running: ${layout.devices.length} agents on synthetic cameras (${layout.frame.width}×${layout.frame.height}, 2 fps, ~6 % defects), a trainer worker, the controller.`,
      `  UI:     ${base}/   (API docs at ${base}/docs)`,
      `  login:  ${login}`,
      `  logs:   ${paths.logs}/`,
      '  next:   review flagged frames, paint masks, trigger a fine-tune on the Jobs page, approve the new version and watch the rollout (README: "Walkthrough").',
      '  Ctrl-C stops everything; a crashed agent or worker is restarted (said here).',
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
  chmodSync(state, 0o700);
  await claimState();
  generateDatabaseClient();
  await ensureKeysAndModel();
  const secrets = ensureSecrets(state);
  await startController(secrets);
  await setUpThroughAdminApi();
  startWorkerAndAgents(secrets);
  await printRunning();
}

main().catch((e: unknown) => {
  console.error(`linewatch: ${e instanceof Error ? e.message : String(e)}`);
  void shutdown(e instanceof StartError ? 2 : 1);
});
