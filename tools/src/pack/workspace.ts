/**
 * The workspace as `npm run pack` sees it: every app and lib with its package.json, and the closure of workspace
 * packages an app needs at run time (its `dependencies`, followed transitively; dev dependencies never count).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PackError } from './errors.js';

export type Manifest = {
  name: string;
  version: string;
  description?: string;
  license?: string;
  type?: string;
  private?: boolean;
  bin?: Record<string, string>;
  files?: string[];
  exports?: Record<string, Record<string, string>>;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
};

export type WorkspacePackage = { dir: string; manifest: Manifest };

/** The apps that ship (each has a bin); the libs they need are found from their dependencies. */
export const APPS = ['@linewatch/agent', '@linewatch/controller', '@linewatch/trainer'] as const;

export const SCOPE = '@linewatch/';

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** apps/* and libs/* (tools and test never ship), by package name. */
export function readWorkspace(root: string): Map<string, WorkspacePackage> {
  const found = new Map<string, WorkspacePackage>();
  for (const group of ['apps', 'libs']) {
    for (const entry of readdirSync(join(root, group)).sort()) {
      const dir = join(root, group, entry);
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = readJson<Manifest>(file);
      found.set(manifest.name, { dir, manifest });
    }
  }
  return found;
}

/** The app and every workspace package it reaches through `dependencies`, app first, then by name. */
export function runtimeClosure(workspace: ReadonlyMap<string, WorkspacePackage>, app: string): string[] {
  const seen = new Set<string>();
  const todo = [app];
  while (todo.length > 0) {
    const name = todo.pop() as string;
    if (seen.has(name)) continue;
    const pkg = workspace.get(name);
    if (!pkg) throw new PackError('LW_TOOLS_PACK_UNKNOWN', `${name} is not a package under apps/ or libs/`);
    seen.add(name);
    todo.push(...Object.keys(pkg.manifest.dependencies ?? {}).filter((d) => d.startsWith(SCOPE)));
  }
  return [app, ...[...seen].filter((n) => n !== app).sort()];
}

/** npm pack's file name for a package: `@linewatch/agent@0.1.0` → `linewatch-agent-0.1.0.tgz`. */
export function tarballName(manifest: Pick<Manifest, 'name' | 'version'>): string {
  return `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`;
}
