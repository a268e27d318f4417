/**
 * One package → one installable tarball: copy what its `files` lists into a scratch folder with a package.json for
 * the field (run-time fields only: no scripts, dev dependencies or source condition; workspace dependencies pinned
 * to the exact version packed next to it), then `npm pack` that folder.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackError } from './errors.js';
import { SCOPE, type Manifest, type WorkspacePackage } from './workspace.js';

/** The packed package.json: what an installed package needs, nothing the monorepo uses to build or test it. */
export function fieldManifest(
  m: Manifest,
  workspace: ReadonlyMap<string, WorkspacePackage>,
  engines: Record<string, string> | undefined,
): Manifest {
  const pin = (deps: Record<string, string> | undefined): Record<string, string> | undefined => {
    if (!deps) return undefined;
    const out: Record<string, string> = {};
    for (const [name, range] of Object.entries(deps)) {
      const local = name.startsWith(SCOPE) ? workspace.get(name) : undefined;
      out[name] = local ? local.manifest.version : range;
    }
    return out;
  };
  let exports: Manifest['exports'];
  if (m.exports) {
    exports = {};
    for (const [subpath, conditions] of Object.entries(m.exports)) {
      // The source condition points into src/, which is not shipped.
      exports[subpath] = Object.fromEntries(Object.entries(conditions).filter(([c]) => c !== '@linewatch/source'));
    }
  }
  const out: Manifest = {
    name: m.name,
    version: m.version,
    description: m.description,
    license: m.license,
    private: true,
    type: m.type,
    bin: m.bin,
    files: m.files,
    exports,
    engines: m.engines ?? engines,
    dependencies: pin(m.dependencies),
    optionalDependencies: m.optionalDependencies,
    peerDependencies: m.peerDependencies,
    // Optional peers (the agent's node-opcua) must stay optional, or npm installs them with the app.
    peerDependenciesMeta: m.peerDependenciesMeta,
  };
  return JSON.parse(JSON.stringify(out)) as Manifest; // drops the undefined fields
}

/** Packs one package into outDir; returns the tarball's file name. */
export function packOne(
  pkg: WorkspacePackage,
  workspace: ReadonlyMap<string, WorkspacePackage>,
  opts: { outDir: string; licenseFile: string; engines: Record<string, string> | undefined },
): string {
  const m = pkg.manifest;
  if (!m.files || m.files.length === 0)
    throw new PackError('LW_TOOLS_PACK_NOT_BUILT', `${m.name}: package.json has no "files" list`);
  const stage = mkdtempSync(join(tmpdir(), 'lw-pack-'));
  try {
    for (const entry of m.files) {
      const from = join(pkg.dir, entry);
      if (!existsSync(from)) throw new PackError('LW_TOOLS_PACK_NOT_BUILT', `${m.name}: ${entry} is missing`);
      cpSync(from, join(stage, entry), { recursive: true, filter: (src) => !src.endsWith('.tsbuildinfo') });
    }
    if (!existsSync(join(stage, 'LICENSE'))) cpSync(opts.licenseFile, join(stage, 'LICENSE'));
    const manifest = fieldManifest(m, workspace, opts.engines);
    writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    let out: string;
    try {
      out = execFileSync('npm', ['pack', '--json', '--pack-destination', opts.outDir], {
        cwd: stage,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? String(err);
      throw new PackError('LW_TOOLS_PACK_NPM', `${m.name}: ${stderr.trim().split('\n').slice(-3).join(' ')}`);
    }
    const [info] = JSON.parse(out) as { filename: string }[];
    if (!info) throw new PackError('LW_TOOLS_PACK_NPM', `${m.name}: npm pack printed no result`);
    return info.filename;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
