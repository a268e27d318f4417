/**
 * The QA UI's JavaScript is type-checked (tsconfig.ui.json: JSDoc types under strict checkJs, run by `npm run
 * typecheck`). Proof that the check bites: a wrong property name injected into a temp copy of ui/ fails tsc with
 * that one error, at that file and line. One tsc run (a few seconds); the clean tree is the typecheck's own job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTROLLER = fileURLToPath(new URL('../', import.meta.url));
const WORKSPACE = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

test('a type error in a UI module fails the UI type-check, naming file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-ui-typecheck-'));
  try {
    cpSync(join(CONTROLLER, 'ui'), join(dir, 'ui'), { recursive: true });
    // The UI's JSDoc imports types from @linewatch/protocol: resolve it (and typebox) from the workspace, as in place.
    symlinkSync(join(WORKSPACE, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const config = { extends: join(CONTROLLER, 'tsconfig.ui.json'), include: ['ui/**/*.js'] };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));

    // EventView (from the protocol's schema) has `modelVersion`, not `modelVersio`.
    const file = join(dir, 'ui', 'event.js');
    const src = readFileSync(file, 'utf8');
    const good = 'esc(e.modelVersion)';
    assert.equal(src.split(good).length, 2, `ui/event.js should contain ${good} exactly once`);
    writeFileSync(file, src.replace(good, 'esc(e.modelVersio)'));
    const line = src.slice(0, src.indexOf(good)).split('\n').length;

    const r = spawnSync(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const errors = r.stdout.split('\n').filter((l) => l.includes('error TS'));
    assert.equal(errors.length, 1, `exactly the injected error, got:\n${r.stdout}${r.stderr}`);
    assert.match(
      errors[0] ?? '',
      new RegExp(`^ui/event\\.js\\(${line},\\d+\\): error TS2551: Property 'modelVersio' does not exist`),
    );
    assert.notEqual(r.status, 0, 'tsc must exit non-zero');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
