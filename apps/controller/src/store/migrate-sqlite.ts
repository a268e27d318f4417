/** Applies the SQLite migrations with better-sqlite3 directly, in one IMMEDIATE transaction, then checks drift. */
import Database from 'better-sqlite3';
import { ctrlError, isControllerError } from '../errors.js';
import {
  MIGRATIONS_TABLE,
  assertSameShape,
  planMigrations,
  type AppliedMigration,
  type Migration,
  type SchemaShape,
} from './migrations.js';

type Db = Database.Database;

export function sqliteShape(db: Db): SchemaShape {
  const tables = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ?`)
    .all(MIGRATIONS_TABLE) as Array<{ name: string }>;
  const shape: SchemaShape = {};
  for (const { name } of tables) {
    const cols = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as Array<{ name: string }>;
    shape[name] = cols.map((c) => c.name).sort();
  }
  return shape;
}

/** The shape a database has after exactly these migrations, computed on a scratch in-memory database. */
export function expectedSqliteShape(migrations: Migration[]): SchemaShape {
  const scratch = new Database(':memory:');
  try {
    for (const m of migrations) scratch.exec(m.sql);
    return sqliteShape(scratch);
  } finally {
    scratch.close();
  }
}

export function migrateSqlite(db: Db, files: Migration[], now: Date): { applied: string[] } {
  db.exec(
    `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" ("name" TEXT NOT NULL PRIMARY KEY, "checksum" TEXT NOT NULL, "appliedAt" TEXT NOT NULL)`,
  );
  const run = db.transaction(() => {
    const applied = db
      .prepare(`SELECT name, checksum FROM "${MIGRATIONS_TABLE}" ORDER BY name`)
      .all() as AppliedMigration[];
    const pending = planMigrations(files, applied);
    // Check the current schema against what the applied migrations produce before touching anything.
    assertSameShape(sqliteShape(db), expectedSqliteShape(files.slice(0, applied.length)));
    const insert = db.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" (name, checksum, appliedAt) VALUES (?, ?, ?)`);
    for (const m of pending) {
      db.exec(m.sql);
      insert.run(m.name, m.checksum, now.toISOString());
    }
    return pending.map((m) => m.name);
  });
  try {
    return { applied: run.immediate() };
  } catch (e) {
    if (isControllerError(e)) throw e;
    throw ctrlError('LW_CTRL_DB_MIGRATION_FAILED', `sqlite migration failed: ${(e as Error).message}`, { cause: e });
  }
}
