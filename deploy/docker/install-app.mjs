#!/usr/bin/env node
// Installs one linewatch app from the tarballs `npm run pack` wrote, with runtime dependencies only: the app's
// tarball plus the transitive closure of the @linewatch/* packages it depends on (read from each tarball's
// package.json), so the agent's image never carries a trainer-only lib. Used by the Dockerfiles; works the same on a
// plain host.
//
// Usage: node install-app.mjs <app: agent|controller|trainer> <tarball dir> <install dir> [--print]
//   --print   print the tarballs it would install, one a line, and exit (nothing installed)
// Exit codes: 0 installed (or printed); 1 npm install failed; 2 usage, or a needed tarball is missing.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [app, dir, dest, flag] = process.argv.slice(2);
if (!app || !dir || !dest || (flag && flag !== '--print')) {
  process.stderr.write('usage: install-app.mjs <agent|controller|trainer> <tarball dir> <install dir> [--print]\n');
  process.exit(2);
}

/** `@linewatch/agent` → the newest `linewatch-agent-<version>.tgz` in dir (npm pack's name for a scoped package). */
function tarballOf(name) {
  const stem = name.replace(/^@/, '').replace('/', '-');
  const hits = readdirSync(dir)
    .filter((f) => f.startsWith(`${stem}-`) && /^\d/.test(f.slice(stem.length + 1)) && f.endsWith('.tgz'))
    .sort();
  if (hits.length === 0) {
    process.stderr.write(`install-app: no tarball for ${name} in ${dir} (run npm run pack)\n`);
    process.exit(2);
  }
  return resolve(dir, hits.at(-1));
}

const manifestOf = (tgz) =>
  JSON.parse(execFileSync('tar', ['-xOzf', tgz, 'package/package.json'], { encoding: 'utf8' }));

const todo = [`@linewatch/${app}`];
const picked = new Map();
while (todo.length > 0) {
  const name = todo.pop();
  if (picked.has(name)) continue;
  const tgz = tarballOf(name);
  picked.set(name, tgz);
  const deps = Object.keys(manifestOf(tgz).dependencies ?? {});
  todo.push(...deps.filter((d) => d.startsWith('@linewatch/')));
}
const tarballs = [...picked.values()];
if (flag === '--print') {
  process.stdout.write(`${tarballs.join('\n')}\n`);
  process.exit(0);
}
mkdirSync(dest, { recursive: true });
if (!existsSync(join(dest, 'package.json'))) {
  writeFileSync(
    join(dest, 'package.json'),
    `${JSON.stringify({ name: `linewatch-${app}-install`, private: true }, null, 2)}\n`,
  );
}
try {
  execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', ...tarballs], {
    cwd: dest,
    stdio: 'inherit',
  });
} catch {
  process.exit(1);
}
