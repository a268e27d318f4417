/**
 * `npm start`: runs what exists of the loop on this machine with embedded defaults, and says plainly what does not
 * exist yet. Today that is the controller (embedded MQTT broker, SQLite, local file store, QA API); agents on
 * synthetic cameras, the trainer worker and automatic rollouts join here as their issue lands.
 *
 * State lives in `.linewatch/` at the repository root (git-ignored). Ctrl-C stops everything.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const state = join(root, '.linewatch');
mkdirSync(join(state, 'controller'), { recursive: true });

function run(name: string, entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=@linewatch/source', '--import', 'tsx', entry], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  child.on('exit', (code, signal) => {
    console.log(`[start] ${name} exited (${signal ?? code})`);
    shutdown(code ?? 0);
  });
  return child;
}

const children: ChildProcess[] = [];
let stopping = false;
function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 2000).unref();
}
process.once('SIGINT', () => shutdown(0));
process.once('SIGTERM', () => shutdown(0));

// The controller's prisma client is generated from its schema (offline, about a second) rather than committed.
const gen = spawnSync(process.execPath, ['apps/controller/scripts/prisma-generate.mjs'], { cwd: root, stdio: 'inherit' });
if (gen.status !== 0) {
  console.error('linewatch: generating the controller database client failed; see above');
  process.exit(1);
}

const port = process.env['LW_HTTP_PORT'] ?? '8080';
console.log('linewatch: starting the controller (embedded MQTT broker, SQLite, local files) in .linewatch/controller');
children.push(run('controller', 'apps/controller/src/main.ts', { LW_DATA_DIR: join(state, 'controller'), LW_HTTP_PORT: port }));
console.log(`linewatch: QA UI and API at http://127.0.0.1:${port}/ (OpenAPI at /docs); the first start prints a one-time admin password.`);
console.log(
  'linewatch: not started yet, because they are not built into `npm start` yet: agents on synthetic cameras, the trainer\n' +
    '           worker and automatic rollouts (see the "Closed loop" issue). Train and evaluate a model by hand meanwhile:\n' +
    '           npx linewatch-trainer train --data <mvtec dir> --preset cpu --out models/normal',
);
