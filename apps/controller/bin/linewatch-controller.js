#!/usr/bin/env node
// `linewatch-controller`. An installed package carries only the built JavaScript, so this runs dist/main.js in this
// process on plain Node. In the monorepo's dev checkout (src/ is there and tsx is installed) it runs src/main.ts through
// tsx with the workspace's source condition instead: the workspace bin needs no build step and never runs a stale dist/.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tsx = existsSync(source) ? resolveTsx() : null;
if (tsx === null) {
  await import('../dist/main.js');
} else {
  const child = spawn(
    process.execPath,
    ['--conditions=@linewatch/source', '--import', tsx, source, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

/** tsx's loader, resolved from here (not the caller's cwd); null where it is not installed (`--omit=dev`). */
function resolveTsx() {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return null;
  }
}
