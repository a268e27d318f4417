/**
 * Opens the SQLite store: migrate with a direct better-sqlite3 connection (WAL, busy timeout), then hand the file
 * to prisma's better-sqlite3 adapter. `:memory:` becomes a private temporary file removed on close, because the
 * adapter opens its own connection and would otherwise see a different, empty in-memory database.
 */
import { chmodSync, closeSync, mkdtempSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../generated/sqlite/client.js';
import { loadMigrations, migrationsDir } from './migrations.js';
import { migrateSqlite } from './migrate-sqlite.js';
import { PrismaStore } from './prisma-store.js';

export interface SqliteOptions {
  /** File path, or ':memory:' for a throw-away database. */
  path: string;
  busyTimeoutMs: number;
  now?: Date;
}

export async function openSqliteStore(
  opts: SqliteOptions,
): Promise<PrismaStore & { migrated: string[]; synchronous: number }> {
  let file = opts.path;
  let tempDir: string | null = null;
  if (file === ':memory:') {
    tempDir = mkdtempSync(join(tmpdir(), 'lw-sqlite-'));
    file = join(tempDir, 'db.sqlite');
  } else {
    // Owner-only: the database holds password and credential hashes and every reviewed frame's metadata.
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
  }
  const cleanup = async (): Promise<void> => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  let migrated: string[];
  const db = new Database(file, { timeout: opts.busyTimeoutMs });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    migrated = migrateSqlite(db, loadMigrations(migrationsDir('sqlite')), opts.now ?? new Date()).applied;
  } catch (e) {
    db.close();
    await cleanup();
    throw e;
  } finally {
    if (db.open) db.close();
  }
  const adapter = new PrismaBetterSqlite3({ url: `file:${file}`, timeout: opts.busyTimeoutMs });
  const client = new PrismaClient({ adapter });
  const store = new PrismaStore('sqlite', client, cleanup);
  let synchronous: number;
  try {
    // better-sqlite3 is built with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1, so the adapter's own connection to a WAL file
    // would commit without fsync (NORMAL): safe against a process crash, not against power loss. Acks promise that
    // the event is committed, so commits must be durable: FULL, on the one connection the adapter holds.
    await client.$executeRawUnsafe('PRAGMA synchronous = FULL');
    const rows = await client.$queryRawUnsafe<Array<{ synchronous: bigint | number }>>('PRAGMA synchronous');
    synchronous = Number(rows[0]?.synchronous);
  } catch (e) {
    await store.close();
    throw e;
  }
  return Object.assign(store, { migrated, synchronous });
}
