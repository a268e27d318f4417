/**
 * `npm test`: prettier's format check, then typecheck + lint + test for every project through nx, then one summary line for the workspace
 * (`tests: N passed, N failed, N skipped`), so CI shows a single closing line whatever ran last.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarise } from './test-summary.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const resultsDir = join(root, 'dist', 'test-results');
rmSync(resultsDir, { recursive: true, force: true });

const extra = process.argv.slice(2);
// nx caches typecheck/lint results under .nx/cache (inside the workspace, ignored by git), so a fresh clone computes
// every task; CI never replays a result at all.
const cacheFlags = process.env['CI'] === 'true' ? ['--skip-nx-cache'] : [];
// Formatting is part of the check: prettier (print width 120, .prettierrc.json) over the whole tree.
const format = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--check', '--log-level=warn', '.'],
  {
    stdio: 'inherit',
    cwd: root,
  },
);
if (format.status !== 0) console.log('format: prettier --check found unformatted files (run `npm run format`)');
const nx = spawnSync(
  process.execPath,
  [
    join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'),
    'run-many',
    '-t',
    'typecheck',
    'lint',
    'test',
    '--outputStyle=stream',
    ...cacheFlags,
    ...extra,
  ],
  { stdio: 'inherit', cwd: root, env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' } },
);
const totals = summarise(resultsDir);
const ok = format.status === 0 && nx.status === 0 && totals.failed === 0;
console.log(`\nprojects with tests: ${totals.projects.join(', ') || 'none'}`);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
if (!ok && totals.failed === 0)
  console.log('(the format check, or a typecheck, lint or test target failed: see the output above)');
process.exit(ok ? 0 : 1);
