/**
 * dist/packages/<app>/: a self-contained install folder (package.json, package-lock.json, tarballs/). Copy it to the
 * host (e.g. /opt/linewatch/agent) and run `npm ci --omit=dev` there; `--offline` works where npm's cache holds the
 * tarballs (any machine that ran `npm ci` on this repository).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { appLockfile, type Lockfile, type PackedMember } from './lockfile.js';
import { fieldManifest } from './stage.js';
import type { Manifest, WorkspacePackage } from './workspace.js';

// onnxruntime-node's postinstall fetches the CUDA execution provider from the network by default on linux-x64: an
// offline or CPU-only install must not depend on that. A CUDA host overrides it: ONNXRUNTIME_NODE_INSTALL=cuda12.
const NPMRC = `# linewatch install folder: npm ci --omit=dev
# CPU-only by default; on a CUDA 12 host run: ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci --omit=dev
onnxruntime-node-install=skip
`;

export function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

export function writeInstallDir(opts: {
  root: string;
  outDir: string;
  app: WorkspacePackage;
  closure: readonly WorkspacePackage[];
  tarballs: ReadonlyMap<string, string>;
  rootLock: Lockfile;
  engines: Record<string, string> | undefined;
  workspace: ReadonlyMap<string, WorkspacePackage>;
}): string {
  const short = opts.app.manifest.name.split('/')[1] as string;
  const dir = join(opts.outDir, short);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'tarballs'), { recursive: true });
  const members: PackedMember[] = opts.closure.map((pkg) => {
    const tarball = opts.tarballs.get(pkg.manifest.name) as string;
    copyFileSync(join(opts.outDir, tarball), join(dir, 'tarballs', tarball));
    return {
      dir: relative(opts.root, pkg.dir),
      manifest: fieldManifest(pkg.manifest, opts.workspace, opts.engines),
      tarball,
      integrity: integrityOf(join(opts.outDir, tarball)),
    };
  });
  const name = `linewatch-${short}-install`;
  const version = opts.app.manifest.version;
  const lock = appLockfile(opts.rootLock, name, version, members);
  const manifest: Manifest = {
    name,
    version,
    private: true,
    description: `Install folder of ${opts.app.manifest.name}: npm ci --omit=dev`,
    dependencies: lock.packages['']?.dependencies ?? {},
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, '.npmrc'), NPMRC);
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  return dir;
}
