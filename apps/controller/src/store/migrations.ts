/**
 * Committed SQL migrations (prisma's layout: prisma/<provider>/migrations/<timestamp>_<name>/migration.sql), applied
 * by us at start-up because the prisma CLI's schema engine is not available offline. Each applied migration is
 * recorded in `_migrations` with its sha256; a changed file or a schema that differs from what the migrations
 * produce is drift, and the controller refuses to start on it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ctrlError } from '../errors.js';

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export type Provider = 'sqlite' | 'postgresql';
/** table → sorted column names */
export type SchemaShape = Record<string, string[]>;

export const MIGRATIONS_TABLE = '_migrations';

export function migrationsDir(provider: Provider): string {
  return fileURLToPath(new URL(`../../prisma/${provider}/migrations`, import.meta.url));
}

export function loadMigrations(dir: string): Migration[] {
  if (!existsSync(dir)) throw ctrlError('LW_CTRL_DB_MIGRATION_FAILED', `migrations directory missing: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      if (!/^\d{14}_[a-z0-9_]+$/.test(name))
        throw ctrlError('LW_CTRL_DB_MIGRATION_FAILED', `migration directory name must be <14 digits>_<name>: ${name}`);
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

export interface AppliedMigration {
  name: string;
  checksum: string;
}

/** Applied history must be a prefix of the files on disk with identical checksums. Returns the pending ones. */
export function planMigrations(files: Migration[], applied: AppliedMigration[]): Migration[] {
  applied.forEach((a, i) => {
    const f = files[i];
    if (!f || f.name !== a.name)
      throw ctrlError(
        'LW_CTRL_DB_SCHEMA_DRIFT',
        `applied migration ${a.name} is not the migration on disk at position ${i + 1}`,
      );
    if (f.checksum !== a.checksum)
      throw ctrlError(
        'LW_CTRL_DB_SCHEMA_DRIFT',
        `migration ${a.name} was changed after it was applied (checksum mismatch)`,
      );
  });
  return files.slice(applied.length);
}

function describe(shape: SchemaShape): Set<string> {
  return new Set(Object.entries(shape).flatMap(([t, cols]) => [`table ${t}`, ...cols.map((c) => `column ${t}.${c}`)]));
}

/** Throws LW_CTRL_DB_SCHEMA_DRIFT listing unexpected and missing tables/columns. */
export function assertSameShape(actual: SchemaShape, expected: SchemaShape): void {
  const a = describe(actual);
  const e = describe(expected);
  const unexpected = [...a].filter((x) => !e.has(x));
  const missing = [...e].filter((x) => !a.has(x));
  if (unexpected.length || missing.length) {
    throw ctrlError(
      'LW_CTRL_DB_SCHEMA_DRIFT',
      `database schema drifted from the migrations: unexpected [${unexpected.join(', ')}], missing [${missing.join(', ')}]`,
      { details: { unexpected, missing } },
    );
  }
}

/** Splits a migration file into statements (our migrations hold no semicolons inside literals or bodies). */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}
