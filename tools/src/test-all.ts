/**
 * `npm test`: typecheck + lint + test for every project through nx, then one summary line for the workspace
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
const nx = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), 'run-many', '-t', 'typecheck', 'lint', 'test', '--outputStyle=stream', ...cacheFlags, ...extra],
  { stdio: 'inherit', cwd: root, env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' } },
);
const totals = summarise(resultsDir);
const ok = nx.status === 0 && totals.failed === 0;
console.log(`\nprojects with tests: ${totals.projects.join(', ') || 'none'}`);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
if (!ok && totals.failed === 0) console.log('(a typecheck, lint or test target failed: see the nx output above)');
process.exit(ok ? 0 : 1);
