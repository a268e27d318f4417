/**
 * What must hold before a package is packed: its build exists and is not older than its sources, and its built code
 * imports only packages it declares (an installed package gets its `dependencies` and nothing else, so an import that
 * resolves in the monorepo through hoisting fails only in the field).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative } from 'node:path';
import { PackError } from './errors.js';
import type { WorkspacePackage } from './workspace.js';

function walk(dir: string, keep: (file: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p, keep);
    return keep(p) ? [p] : [];
  });
}

/** Every src/**\/*.ts (tests and declarations aside) has a dist/**\/*.js at least as new. */
export function checkBuilt(pkg: WorkspacePackage): void {
  const src = join(pkg.dir, 'src');
  const sources = walk(src, (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'));
  const name = pkg.manifest.name;
  if (sources.length === 0) throw new PackError('LW_TOOLS_PACK_NOT_BUILT', `${name}: no sources under ${src}`);
  for (const file of sources) {
    const built = join(pkg.dir, 'dist', relative(src, file).replace(/\.ts$/, '.js'));
    if (!existsSync(built))
      throw new PackError('LW_TOOLS_PACK_NOT_BUILT', `${name}: ${relative(pkg.dir, built)} is missing`);
    if (statSync(built).mtimeMs < statSync(file).mtimeMs)
      throw new PackError('LW_TOOLS_PACK_NOT_BUILT', `${name}: ${relative(pkg.dir, file)} changed after the build`);
  }
}

// Static `from '…'` / `import '…'`, dynamic `import('…')` and `require('…')`; `import.meta.resolve` is left out on
// purpose: the agent resolves tsx only on its from-source path, which never runs from dist/.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\(\s*)['"]([^'"\s]+)['"]/g;

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`; relative paths and builtins → null. */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? null);
}

/** The bare packages one JavaScript source imports. */
export function importedPackages(code: string): Set<string> {
  const found = new Set<string>();
  for (const m of code.matchAll(SPECIFIER)) {
    const pkg = packageOf(m[1] as string);
    if (pkg !== null) found.add(pkg);
  }
  return found;
}

/** Every package imported under dist/ (and bin/) is the package itself or declared as a run-time dependency. */
export function checkImports(pkg: WorkspacePackage): void {
  const m = pkg.manifest;
  const declared = new Set([
    m.name,
    ...Object.keys(m.dependencies ?? {}),
    ...Object.keys(m.optionalDependencies ?? {}),
    ...Object.keys(m.peerDependencies ?? {}),
  ]);
  const files = [pkg.dir + '/dist', pkg.dir + '/bin'].flatMap((d) => walk(d, (f) => /\.[cm]?js$/.test(f)));
  const missing: string[] = [];
  for (const file of files) {
    for (const imported of importedPackages(readFileSync(file, 'utf8'))) {
      if (!declared.has(imported)) missing.push(`${relative(pkg.dir, file)} imports ${imported}`);
    }
  }
  if (missing.length > 0)
    throw new PackError('LW_TOOLS_PACK_UNDECLARED', `${m.name}: ${missing.slice(0, 10).join('; ')}`);
}
