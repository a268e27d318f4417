import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { isTestingError, sharedData, sharedDataConfig } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'lw-shared-'));
mkdirSync(join(root, 'data', 'here'), { recursive: true });
after(() => rmSync(root, { recursive: true, force: true }));

test('present data: no skip, path() returns the folder', () => {
  const d = sharedData('data/here', { root, required: false });
  assert.equal(d.present, true);
  assert.equal(d.skip, false);
  assert.equal(d.path(), join(root, 'data', 'here'));
});

test('absent data in a user clone: skip names the missing folder; path() is a coded error', () => {
  const d = sharedData('data/not-here', { root, required: false });
  assert.equal(d.present, false);
  assert.equal(typeof d.skip, 'string');
  assert.match(String(d.skip), /\.\.\/shared\/data\/not-here is not at .*data\/not-here/);
  assert.throws(
    () => d.path(),
    (e: unknown) => isTestingError(e, 'LW_TESTING_SHARED_DATA_MISSING'),
  );
});

test('absent data with LW_REQUIRE_SHARED_DATA: no skip, path() fails naming the folder and the variable', () => {
  const d = sharedData('data/not-here', { root, required: true });
  assert.equal(d.skip, false);
  assert.throws(
    () => d.path(),
    (e: unknown) =>
      isTestingError(e, 'LW_TESTING_SHARED_DATA_MISSING') && /not-here.*LW_REQUIRE_SHARED_DATA=1/.test(e.message),
  );
});

test('config: the variable is read once, truthy spellings only; LW_SHARED_DIR moves the root', () => {
  assert.equal(sharedDataConfig({}).required, false);
  assert.equal(sharedDataConfig({ LW_REQUIRE_SHARED_DATA: '0' }).required, false);
  assert.equal(sharedDataConfig({ LW_REQUIRE_SHARED_DATA: '1' }).required, true);
  assert.equal(sharedDataConfig({ LW_REQUIRE_SHARED_DATA: 'true' }).required, true);
  assert.equal(sharedDataConfig({ LW_SHARED_DIR: root }).root, root);
  assert.match(sharedDataConfig({}).root, /shared$/);
  assert.ok(Object.isFrozen(sharedDataConfig({})));
});

/** Runs the fixture as node:test would in a project, with the given environment. */
function runFixture(extraEnv: Record<string, string>): { status: number | null; out: string } {
  const fixture = fileURLToPath(new URL('./fixtures/needs-data.ts', import.meta.url));
  const env: Record<string, string | undefined> = { ...process.env, LW_SHARED_DIR: root, ...extraEnv };
  if (!('LW_REQUIRE_SHARED_DATA' in extraEnv)) delete env['LW_REQUIRE_SHARED_DATA'];
  // The parent's node:test marks its children as nested runs; the fixture is a run of its own.
  delete env['NODE_TEST_CONTEXT'];
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=@linewatch/source', '--test', '--test-reporter=tap', fixture],
    {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('a node:test run skips without the data, and the same run fails with LW_REQUIRE_SHARED_DATA=1', () => {
  const userClone = runFixture({});
  assert.equal(userClone.status, 0, userClone.out);
  assert.match(userClone.out, /# skipped 1/);
  assert.match(userClone.out, /# fail 0/);
  assert.match(userClone.out, /# SKIP \.\.\/shared\/data\/not-here is not at/);

  const ci = runFixture({ LW_REQUIRE_SHARED_DATA: '1' });
  assert.notEqual(ci.status, 0, ci.out);
  assert.match(ci.out, /# fail 1/);
  assert.match(ci.out, /LW_TESTING_SHARED_DATA_MISSING|LW_REQUIRE_SHARED_DATA=1 requires it/);
});
