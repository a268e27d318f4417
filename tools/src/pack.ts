/**
 * `npm run pack` (after `npm run build`): one installable tarball per app (agent, controller, trainer) and per
 * workspace lib they need, written to dist/packages/, with an index.json that lists, per app, the tarballs to install
 * together, and one install folder per app (dist/packages/<app>/: package.json, a lockfile cut from the monorepo's,
 * tarballs/). `npm ci --omit=dev` in a copy of that folder (offline from npm's cache), or `npm install --omit=dev
 * <app's tarballs…>` in an empty folder (registry needed to resolve ranges), gives node_modules/.bin/linewatch-<app>
 * running the built JavaScript on plain Node (no tsx, no dev dependencies, no trainer-only libs in the agent).
 *
 * Usage: npm run pack [-- --out <dir>]
 * Exit codes: 0 packed; 1 unexpected error; 2 refused (LW_TOOLS_PACK_*: not built, undeclared import, npm failed).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkBuilt, checkImports } from './pack/checks.js';
import { PackError } from './pack/errors.js';
import { writeInstallDir } from './pack/install-dir.js';
import type { Lockfile } from './pack/lockfile.js';
import { packOne } from './pack/stage.js';
import {
  APPS,
  readJson,
  readWorkspace,
  runtimeClosure,
  type Manifest,
  type WorkspacePackage,
} from './pack/workspace.js';

const HELP = `usage: npm run pack [-- --out <dir>]

Packs the built apps (agent, controller, trainer) and the workspace libs they need into installable tarballs.
  --out <dir>   where the tarballs go (default: dist/packages at the repository root)
  --help        this text

Install one app: copy <dir>/<app>/ to the host and run \`npm ci --omit=dev\` in it (pinned versions; --offline works
with a warm npm cache), or npm install --omit=dev <the tarballs listed for it in <dir>/index.json>.
Exit codes: 0 packed; 1 unexpected error; 2 refused (LW_TOOLS_PACK_*).
`;

/** apps: the tarballs to install together, per app; installDirs: the app's install folder (see pack/install-dir.ts). */
export type PackIndex = { apps: Record<string, string[]>; installDirs: Record<string, string> };

export function packAll(root: string, outDir: string): PackIndex {
  const workspace = readWorkspace(root);
  const closures = Object.fromEntries(APPS.map((app) => [app, runtimeClosure(workspace, app)]));
  const names = [...new Set(Object.values(closures).flat())].sort();
  for (const name of names) {
    const pkg = workspace.get(name);
    if (!pkg) throw new PackError('LW_TOOLS_PACK_UNKNOWN', name);
    checkBuilt(pkg);
    checkImports(pkg);
  }
  mkdirSync(outDir, { recursive: true });
  // Old tarballs would be picked up by installers that take "the newest file for a name".
  for (const f of readdirSync(outDir)) if (f.endsWith('.tgz')) rmSync(join(outDir, f));

  const engines = readJson<Manifest>(join(root, 'package.json')).engines;
  const tarballs = new Map<string, string>();
  for (const name of names) {
    const pkg = workspace.get(name);
    if (!pkg) throw new PackError('LW_TOOLS_PACK_UNKNOWN', name);
    tarballs.set(name, packOne(pkg, workspace, { outDir, licenseFile: join(root, 'LICENSE'), engines }));
  }
  const rootLock = readJson<Lockfile>(join(root, 'package-lock.json'));
  const index: PackIndex = { apps: {}, installDirs: {} };
  for (const [app, closure] of Object.entries(closures)) {
    index.apps[app] = closure.map((n) => tarballs.get(n) ?? n);
    const members = closure.map((n) => workspace.get(n) as WorkspacePackage);
    const dir = writeInstallDir({
      root,
      outDir,
      app: members[0] as WorkspacePackage,
      closure: members,
      tarballs,
      rootLock,
      engines,
      workspace,
    });
    index.installDirs[app] = relative(outDir, dir);
  }
  writeFileSync(join(outDir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  return index;
}

function main(): number {
  let out: string | undefined;
  try {
    const { values } = parseArgs({ options: { out: { type: 'string' }, help: { type: 'boolean' } } });
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    out = values.out;
  } catch (err) {
    process.stderr.write(`LW_TOOLS_PACK_USAGE: ${(err as Error).message}\n${HELP}`);
    return 2;
  }
  const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  const outDir = resolve(out ?? join(root, 'dist', 'packages'));
  try {
    const index = packAll(root, outDir);
    for (const [app, files] of Object.entries(index.apps)) {
      process.stdout.write(`${app}: ${files.join(' ')}\n`);
    }
    process.stdout.write(`tarballs and index.json in ${outDir}\n`);
    return 0;
  } catch (err) {
    if (err instanceof PackError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
