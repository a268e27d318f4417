import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isControllerError } from '../src/errors.js';
import {
  assertSameShape,
  loadMigrations,
  migrationsDir,
  planMigrations,
  splitStatements,
} from '../src/store/migrations.js';
import { expectedSqliteShape } from '../src/store/migrate-sqlite.js';

const drift = (e: unknown): boolean => isControllerError(e, 'LW_CTRL_DB_SCHEMA_DRIFT');

test('both providers ship the same migration names, in order', () => {
  const names = (p: 'sqlite' | 'postgresql') => loadMigrations(migrationsDir(p)).map((m) => m.name);
  assert.deepEqual(names('sqlite'), names('postgresql'));
  assert.ok(names('sqlite').length >= 2);
});

test('planMigrations: applied history must be an unchanged prefix of the files', () => {
  const files = [
    { name: '20260101000000_a', sql: 'x', checksum: '1' },
    { name: '20260102000000_b', sql: 'y', checksum: '2' },
  ];
  assert.deepEqual(planMigrations(files, []), files);
  assert.deepEqual(planMigrations(files, [{ name: '20260101000000_a', checksum: '1' }]), [files[1]]);
  assert.throws(() => planMigrations(files, [{ name: '20260101000000_a', checksum: 'changed' }]), drift);
  assert.throws(() => planMigrations(files, [{ name: '20251231000000_gone', checksum: '0' }]), drift);
  assert.throws(() => planMigrations(files.slice(0, 1), [files[0]!, files[1]!]), drift);
});

test('assertSameShape names unexpected and missing columns', () => {
  assert.doesNotThrow(() => assertSameShape({ T: ['a', 'b'] }, { T: ['a', 'b'] }));
  assert.throws(
    () => assertSameShape({ T: ['a', 'x'] }, { T: ['a', 'b'] }),
    (e: unknown) =>
      drift(e) &&
      /unexpected \[column T\.x\]/.test((e as Error).message) &&
      /missing \[column T\.b\]/.test((e as Error).message),
  );
});

/** Tables/columns prisma expects, read from the generated client's runtime data model (scalar fields only). */
function prismaShape(): Record<string, string[]> {
  const src = readFileSync(new URL('../src/generated/sqlite/internal/class.ts', import.meta.url), 'utf8');
  const m = /config\.runtimeDataModel = JSON\.parse\((".*")\)/.exec(src);
  assert.ok(m, 'runtimeDataModel not found in the generated client');
  const model = JSON.parse(JSON.parse(m[1]!)) as {
    models: Record<string, { fields: Array<{ name: string; kind: string }> }>;
  };
  return Object.fromEntries(
    Object.entries(model.models).map(([name, def]) => [
      name,
      def.fields
        .filter((f) => f.kind === 'scalar')
        .map((f) => f.name)
        .sort(),
    ]),
  );
}

test('the migrations produce exactly the tables and columns of the prisma schema', () => {
  const shape = expectedSqliteShape(loadMigrations(migrationsDir('sqlite')));
  assert.deepEqual(shape, prismaShape());
  assert.ok(shape.Device?.includes('site'));
});

test('splitStatements drops comments and empty statements', () => {
  assert.deepEqual(splitStatements('-- c\nCREATE TABLE a (x INT);\n\n-- d\nCREATE INDEX i ON a(x);\n'), [
    'CREATE TABLE a (x INT)',
    'CREATE INDEX i ON a(x)',
  ]);
});
