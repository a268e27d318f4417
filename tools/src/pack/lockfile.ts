/**
 * An app's install folder with a lockfile cut from the monorepo's package-lock.json: the app's tarball and its libs'
 * (under tarballs/), and exactly the third-party versions the monorepo was tested with. `npm ci --omit=dev` there
 * needs no registry metadata, only the tarballs by integrity, so it runs offline from npm's cache (a plain
 * `npm install <tarball>` must fetch every dependency's metadata to resolve ranges).
 *
 * The cut keeps each package at the path it has in the monorepo's tree, so Node resolves every import to the same
 * version; a workspace package's own nested node_modules (apps/x/node_modules/…) moves under its installed folder.
 */
import { PackError } from './errors.js';
import type { Manifest } from './workspace.js';

export type LockEntry = {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
};
export type Lockfile = {
  name: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
};

/** A workspace package of the app's closure: its folder in the monorepo lock, its packed manifest and tarball. */
export type PackedMember = { dir: string; manifest: Manifest; tarball: string; integrity: string };

/** `node_modules/a/node_modules/@s/b` → `node_modules/a`; `node_modules/a` or `apps/agent` → `` (the root). */
function parentOf(path: string): string {
  const i = path.lastIndexOf('/node_modules/');
  return i >= 0 ? path.slice(0, i) : '';
}

/** Node's lookup from the package at `from` (a lock path): nearest node_modules/<dep> walking up. */
export function resolveFrom(packages: Readonly<Record<string, LockEntry>>, from: string, dep: string): string | null {
  for (let at = from; ; at = parentOf(at)) {
    const candidate = at === '' ? `node_modules/${dep}` : `${at}/node_modules/${dep}`;
    if (packages[candidate]) return candidate;
    if (at === '') return null;
  }
}

type Edge = { from: string; name: string; optional: boolean };

type DepFields = Pick<LockEntry, 'dependencies' | 'optionalDependencies' | 'peerDependencies' | 'peerDependenciesMeta'>;

/** A package's edges; `optional` when the edge is, or when the package itself is only optionally installed. */
function edgesOf(from: string, e: DepFields, fromOptional: boolean): Edge[] {
  const optionalPeer = (n: string): boolean => e.peerDependenciesMeta?.[n]?.optional === true;
  return [
    ...Object.keys(e.dependencies ?? {}).map((name) => ({ from, name, optional: fromOptional })),
    ...Object.keys(e.optionalDependencies ?? {}).map((name) => ({ from, name, optional: true })),
    // npm installs a peer only when it is not optional (an optional one, e.g. @prisma/client's typescript, must come
    // from elsewhere in the tree).
    ...Object.keys(e.peerDependencies ?? {})
      .filter((name) => !optionalPeer(name))
      .map((name) => ({ from, name, optional: fromOptional })),
  ];
}

/**
 * The entry as this install sees it: nothing reachable from the app is a dev dependency, and a package is optional
 * (npm skips it on another platform, e.g. sharp's per-OS binaries) only when every path to it is optional.
 */
function asRuntime(e: LockEntry, optional: boolean): LockEntry {
  const { dev: _dev, devOptional: _devOptional, optional: _optional, ...rest } = e;
  return optional ? { ...rest, optional: true } : rest;
}

export function appLockfile(root: Lockfile, name: string, version: string, members: readonly PackedMember[]): Lockfile {
  const packages = root.packages;
  const isMember = (n: string): boolean => members.some((m) => m.manifest.name === n);
  const moved = (path: string): string => {
    for (const m of members) {
      if (path.startsWith(`${m.dir}/node_modules/`))
        return `node_modules/${m.manifest.name}${path.slice(m.dir.length)}`;
    }
    return path;
  };
  const rootDeps = Object.fromEntries(members.map((m) => [m.manifest.name, `file:tarballs/${m.tarball}`]));
  const out: Record<string, LockEntry> = { '': { name, version, dependencies: rootDeps } };
  const todo: Edge[] = [];
  for (const m of members) {
    out[`node_modules/${m.manifest.name}`] = {
      version: m.manifest.version,
      resolved: `file:tarballs/${m.tarball}`,
      integrity: m.integrity,
      license: m.manifest.license,
      dependencies: m.manifest.dependencies,
      optionalDependencies: m.manifest.optionalDependencies,
      peerDependencies: m.manifest.peerDependencies,
      peerDependenciesMeta: m.manifest.peerDependenciesMeta,
      bin: m.manifest.bin,
      engines: m.manifest.engines,
    };
    todo.push(...edgesOf(m.dir, m.manifest, false));
  }
  // path → reached only optionally so far; a later required path makes it required and walks its edges again.
  const reached = new Map<string, boolean>();
  while (todo.length > 0) {
    const edge = todo.pop() as Edge;
    if (isMember(edge.name)) continue;
    const at = resolveFrom(packages, edge.from, edge.name);
    if (at === null) {
      if (edge.optional) continue;
      throw new PackError('LW_TOOLS_PACK_LOCK', `${edge.name} (needed by ${edge.from}) is not in package-lock.json`);
    }
    const before = reached.get(at);
    if (before === false || (before === true && edge.optional)) continue;
    reached.set(at, edge.optional);
    const entry = packages[at] as LockEntry;
    if (entry.link) throw new PackError('LW_TOOLS_PACK_LOCK', `${at} is a link outside the app's closure`);
    out[moved(at)] = asRuntime(entry, edge.optional);
    todo.push(...edgesOf(at, entry, edge.optional));
  }
  return { name, version, lockfileVersion: 3, requires: true, packages: JSON.parse(JSON.stringify(out)) };
}
