#!/usr/bin/env node
// Launcher for the TypeScript CLI: runs src/main.ts through tsx with the workspace's source condition, so the
// workspace bin works without a build step. tsx is resolved from here (not the caller's cwd).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const child = spawn(
  process.execPath,
  ['--conditions=@linewatch/source', '--import', tsx, entry, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
