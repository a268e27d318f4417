/**
 * Workspace hygiene the tools rely on: nx keeps its cache inside the workspace (ignored by git, so a fresh clone
 * computes every task instead of replaying results from the user's home), every package carries the licence, and the
 * Node range matches what the README promises.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const readJson = (p: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(root, p), 'utf8')) as Record<string, unknown>;

function packageFiles(): string[] {
  const found = ['package.json', 'tools/package.json', 'test/package.json'];
  for (const dir of ['apps', 'libs']) {
    for (const name of readdirSync(join(root, dir))) {
      if (existsSync(join(root, dir, name, 'package.json'))) found.push(`${dir}/${name}/package.json`);
    }
  }
  return found;
}

test('nx caches inside the workspace, in a folder git ignores', () => {
  const dir = readJson('nx.json')['cacheDirectory'];
  assert.equal(typeof dir, 'string', 'nx.json sets cacheDirectory');
  const abs = resolve(root, String(dir));
  const rel = relative(root, abs);
  assert.ok(!rel.startsWith('..') && !isAbsolute(rel), `cache ${abs} is inside the workspace`);
  const ignored = spawnSync('git', ['check-ignore', '-q', join(rel, 'probe')], { cwd: root });
  assert.equal(ignored.status, 0, `${rel} is ignored by git`);
});

test('CI runs of npm test skip the nx cache', () => {
  assert.match(readFileSync(join(root, 'tools/src/test-all.ts'), 'utf8'), /'--skip-nx-cache'/);
});

test('every package.json names the Apache-2.0 licence, which is at the root', () => {
  assert.match(readFileSync(join(root, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
  for (const f of packageFiles()) assert.equal(readJson(f)['license'], 'Apache-2.0', f);
});

test('engines: Node 20.11+ and 22/24', () => {
  const engines = readJson('package.json')['engines'] as { node?: string } | undefined;
  assert.equal(engines?.node, '>=20.11 <21 || >=22');
});
