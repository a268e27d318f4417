/**
 * Runs one project's tests with node:test (+ tsx for TypeScript).
 *
 * Node 20's `--test` takes no globs, so we collect `*.test.ts` files ourselves. Results go to the terminal (spec
 * reporter) and to `dist/test-results/<project>.xml` (JUnit) so `test-all` can print one summary for the workspace.
 *
 * Usage (from a project directory): `tsx ../../tools/src/run-tests.ts [--name <project>] [extra files/dirs…]`
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspaceRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SKIP_DIRS = new Set(['node_modules', 'dist', 'fixtures', '.nx']);

export function collectTestFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d)) {
      if (SKIP_DIRS.has(entry)) continue;
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (entry.endsWith('.test.ts')) found.push(p);
    }
  };
  walk(dir);
  return found.sort();
}

function main(): void {
  const args = process.argv.slice(2);
  const nameIdx = args.indexOf('--name');
  const projectDir = process.cwd();
  const name = nameIdx >= 0 ? String(args[nameIdx + 1]) : basename(projectDir);
  const roots = nameIdx >= 0 ? args.filter((_, i) => i !== nameIdx && i !== nameIdx + 1) : args;
  const searchRoots = roots.length > 0 ? roots : ['src', 'test'];
  const files = searchRoots
    .map((r) => resolve(projectDir, r))
    .flatMap((p) => {
      try {
        return statSync(p).isDirectory() ? collectTestFiles(p) : [p];
      } catch {
        return [];
      }
    });
  const resultsDir = join(workspaceRoot, 'dist', 'test-results');
  mkdirSync(resultsDir, { recursive: true });
  if (files.length === 0) {
    console.log(`[${name}] no test files`);
    return;
  }
  const nodeArgs = [
    '--conditions=@linewatch/source',
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=junit',
    `--test-reporter-destination=${join(resultsDir, `${name}.xml`)}`,
    ...files.map((f) => relative(projectDir, f)),
  ];
  const child = spawn(process.execPath, nodeArgs, { stdio: 'inherit', cwd: projectDir });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
