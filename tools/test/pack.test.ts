/**
 * `npm run pack`'s pure parts: which workspace packages an app ships with, the field package.json, the import and
 * build checks, and the lockfile cut for an app's install folder. The packed install itself is exercised end to end
 * by test/field-install.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBuilt, checkImports, importedPackages, packageOf } from '../src/pack/checks.js';
import { appLockfile, resolveFrom, type Lockfile } from '../src/pack/lockfile.js';
import { fieldManifest } from '../src/pack/stage.js';
import { readWorkspace, runtimeClosure, tarballName, type WorkspacePackage } from '../src/pack/workspace.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const workspace = readWorkspace(root);

const tempPackage = (t: { after: (fn: () => void) => void }, deps: Record<string, string>): WorkspacePackage => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-pack-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'dist'));
  return { dir, manifest: { name: '@linewatch/t', version: '1.0.0', dependencies: deps } };
};

test('the agent ships with its four libs and no training lib; the trainer with the training libs', () => {
  assert.deepEqual(runtimeClosure(workspace, '@linewatch/agent'), [
    '@linewatch/agent',
    '@linewatch/inference',
    '@linewatch/model-package',
    '@linewatch/protocol',
    '@linewatch/vision',
  ]);
  const trainer = runtimeClosure(workspace, '@linewatch/trainer');
  for (const lib of ['@linewatch/adtr', '@linewatch/backbones', '@linewatch/graph']) assert.ok(trainer.includes(lib));
  assert.ok(!trainer.includes('@linewatch/testing'), 'dev dependencies never ship');
  assert.equal(tarballName({ name: '@linewatch/agent', version: '0.1.0' }), 'linewatch-agent-0.1.0.tgz');
});

test('the field package.json keeps run-time fields, pins workspace deps and drops the source condition', () => {
  const agent = workspace.get('@linewatch/agent') as WorkspacePackage;
  const m = fieldManifest(agent.manifest, workspace, { node: '>=20.11' });
  assert.equal(m.scripts, undefined);
  assert.equal(m.devDependencies, undefined);
  assert.equal(m.nx, undefined);
  assert.deepEqual(m.bin, { 'linewatch-agent': './bin/linewatch-agent.js' });
  assert.equal(m.dependencies?.['@linewatch/protocol'], workspace.get('@linewatch/protocol')?.manifest.version);
  assert.deepEqual(m.exports?.['.'], { types: './dist/index.d.ts', default: './dist/index.js' });
  assert.deepEqual(m.engines, { node: '>=20.11' });
});

test('imports: bare packages found in static, dynamic and require forms; builtins and relative paths ignored', () => {
  const code = [
    `import { a } from "fastify";`,
    `import '@prisma/client/runtime/client';`,
    `const m = await import('mqtt');`,
    `const r = require('better-sqlite3');`,
    `import { x } from './local.js';`,
    `import fs from 'node:fs'; import path from 'path';`,
    `const p = import.meta.resolve('tsx/esm/api');`,
  ].join('\n');
  assert.deepEqual([...importedPackages(code)].sort(), ['@prisma/client', 'better-sqlite3', 'fastify', 'mqtt']);
  assert.equal(packageOf('@scope/name/sub/path.js'), '@scope/name');
  assert.equal(packageOf('node:crypto'), null);
});

test('an import the package does not declare refuses the pack (LW_TOOLS_PACK_UNDECLARED)', (t) => {
  const pkg = tempPackage(t, { mqtt: '^5' });
  writeFileSync(
    join(pkg.dir, 'dist', 'index.js'),
    `import mqtt from 'mqtt';\nimport { Type } from '@sinclair/typebox';\n`,
  );
  assert.throws(
    () => checkImports(pkg),
    /LW_TOOLS_PACK_UNDECLARED: @linewatch\/t: dist\/index\.js imports @sinclair\/typebox/,
  );
  pkg.manifest.dependencies = { mqtt: '^5', '@sinclair/typebox': '^0.34' };
  checkImports(pkg);
});

test('a source newer than its build, or without one, refuses the pack (LW_TOOLS_PACK_NOT_BUILT)', (t) => {
  const pkg = tempPackage(t, {});
  writeFileSync(join(pkg.dir, 'src', 'index.ts'), 'export {};\n');
  assert.throws(() => checkBuilt(pkg), /LW_TOOLS_PACK_NOT_BUILT: .*dist\/index\.js is missing/);
  writeFileSync(join(pkg.dir, 'dist', 'index.js'), 'export {};\n');
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(pkg.dir, 'dist', 'index.js'), past, past);
  assert.throws(() => checkBuilt(pkg), /src\/index\.ts changed after the build/);
  utimesSync(join(pkg.dir, 'dist', 'index.js'), new Date(), new Date());
  checkBuilt(pkg);
});

test('the install lockfile keeps paths, moves a workspace nested dependency, drops dev-only and optional peers, marks optional-only packages', () => {
  const lock: Lockfile = {
    name: 'linewatch',
    lockfileVersion: 3,
    packages: {
      '': { name: 'linewatch' },
      'apps/a': { version: '1.0.0' },
      'node_modules/@linewatch/a': { link: true, resolved: 'apps/a' },
      'apps/a/node_modules/x': {
        version: '2.0.0',
        integrity: 'sha512-x2',
        dependencies: { y: '^1' },
        optionalDependencies: { w: '*' },
      },
      'node_modules/w': { version: '1.0.0', integrity: 'sha512-w', os: ['darwin'], optional: true },
      'node_modules/x': { version: '1.0.0', integrity: 'sha512-x1', dev: true },
      'node_modules/y': {
        version: '1.0.0',
        integrity: 'sha512-y',
        devOptional: true,
        peerDependencies: { typescript: '*', z: '*' },
        peerDependenciesMeta: { typescript: { optional: true } },
      },
      'node_modules/y/node_modules/z': { version: '3.0.0', integrity: 'sha512-z3' },
      'node_modules/z': { version: '1.0.0', integrity: 'sha512-z1' },
      'node_modules/typescript': { version: '5.0.0', dev: true },
    },
  };
  assert.equal(resolveFrom(lock.packages, 'node_modules/y', 'z'), 'node_modules/y/node_modules/z');
  assert.equal(resolveFrom(lock.packages, 'apps/a/node_modules/x', 'y'), 'node_modules/y');
  const member = {
    dir: 'apps/a',
    manifest: { name: '@linewatch/a', version: '1.0.0', dependencies: { x: '^2' } as Record<string, string> },
    tarball: 'linewatch-a-1.0.0.tgz',
    integrity: 'sha512-a',
  };
  const out = appLockfile(lock, 'linewatch-a-install', '1.0.0', [member]);
  assert.deepEqual(Object.keys(out.packages).sort(), [
    '',
    'node_modules/@linewatch/a',
    'node_modules/@linewatch/a/node_modules/x',
    'node_modules/w',
    'node_modules/y',
    'node_modules/y/node_modules/z',
  ]);
  assert.equal(out.packages['node_modules/@linewatch/a']?.resolved, 'file:tarballs/linewatch-a-1.0.0.tgz');
  assert.equal(out.packages['node_modules/y']?.devOptional, undefined);
  assert.equal(out.packages['node_modules/y']?.optional, undefined, 'reached by a required edge: required');
  assert.equal(out.packages['node_modules/w']?.optional, true, 'reached only optionally: npm may skip it');
  assert.deepEqual(out.packages['']?.dependencies, { '@linewatch/a': 'file:tarballs/linewatch-a-1.0.0.tgz' });
  member.manifest.dependencies = { x: '^2', missing: '^1' };
  assert.throws(() => appLockfile(lock, 'n', '1.0.0', [member]), /LW_TOOLS_PACK_LOCK: missing/);
});
