/**
 * Applies the PostgreSQL migrations with node-postgres in one transaction, serialised across controller replicas
 * by an advisory lock, then checks drift. DDL is transactional in PostgreSQL, so the expected shape is computed by
 * running the migrations in a throw-away schema inside a transaction that is rolled back.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { ctrlError, isControllerError } from '../errors.js';
import {
  MIGRATIONS_TABLE,
  assertSameShape,
  planMigrations,
  type AppliedMigration,
  type Migration,
  type SchemaShape,
} from './migrations.js';

const LOCK_KEY = 0x6c77_6d67; // "lwmg"

async function shapeOf(client: pg.ClientBase, schema: string): Promise<SchemaShape> {
  const { rows } = await client.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE' AND c.table_name <> $2`,
    [schema, MIGRATIONS_TABLE],
  );
  const shape: SchemaShape = {};
  for (const r of rows) (shape[r.table_name] ??= []).push(r.column_name);
  for (const cols of Object.values(shape)) cols.sort();
  return shape;
}

async function expectedShape(client: pg.ClientBase, migrations: Migration[]): Promise<SchemaShape> {
  const scratch = `lw_expect_${randomBytes(6).toString('hex')}`;
  await client.query('SAVEPOINT lw_expect');
  try {
    await client.query(`CREATE SCHEMA "${scratch}"`);
    await client.query(`SET LOCAL search_path TO "${scratch}"`);
    for (const m of migrations) await client.query(m.sql);
    return await shapeOf(client, scratch);
  } finally {
    // Rolls back the scratch schema and the search_path change.
    await client.query('ROLLBACK TO SAVEPOINT lw_expect');
  }
}

export async function migratePostgres(
  client: pg.ClientBase,
  files: Migration[],
  now: Date,
): Promise<{ applied: string[] }> {
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    const schema = (await client.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s ?? 'public';
    await client.query(
      `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" ("name" TEXT PRIMARY KEY, "checksum" TEXT NOT NULL, "appliedAt" TIMESTAMP(3) NOT NULL)`,
    );
    const applied = (
      await client.query<AppliedMigration>(`SELECT name, checksum FROM "${MIGRATIONS_TABLE}" ORDER BY name`)
    ).rows;
    const pending = planMigrations(files, applied);
    assertSameShape(await shapeOf(client, schema), await expectedShape(client, files.slice(0, applied.length)));
    for (const m of pending) {
      await client.query(m.sql);
      await client.query(`INSERT INTO "${MIGRATIONS_TABLE}" (name, checksum, "appliedAt") VALUES ($1, $2, $3)`, [
        m.name,
        m.checksum,
        now,
      ]);
    }
    await client.query('COMMIT');
    return { applied: pending.map((m) => m.name) };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    if (isControllerError(e)) throw e;
    throw ctrlError('LW_CTRL_DB_MIGRATION_FAILED', `postgresql migration failed: ${(e as Error).message}`, {
      cause: e,
    });
  }
}
