/** Opens the PostgreSQL store: migrate over one pg connection, then run prisma through @prisma/adapter-pg. */
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/postgresql/client.js';
import { ctrlError } from '../errors.js';
import type { Db } from './db.js';
import { loadMigrations, migrationsDir } from './migrations.js';
import { migratePostgres } from './migrate-pg.js';
import { PrismaStore } from './prisma-store.js';

export interface PostgresOptions {
  url: string;
  now?: Date;
}

export async function openPostgresStore(opts: PostgresOptions): Promise<PrismaStore & { migrated: string[] }> {
  const client = new pg.Client({ connectionString: opts.url });
  try {
    await client.connect();
  } catch (e) {
    throw ctrlError('LW_CTRL_DB_UNAVAILABLE', `cannot connect to postgresql: ${(e as Error).message}`, { cause: e });
  }
  let migrated: string[];
  try {
    migrated = (await migratePostgres(client, loadMigrations(migrationsDir('postgresql')), opts.now ?? new Date()))
      .applied;
  } finally {
    await client.end();
  }
  // Typed as the store's Db, which the sqlite and postgresql clients both fit (checked here; see db.ts).
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: opts.url }) });
  const db: Db = prisma;
  // Lease expiry by the server's clock, so replicas whose clocks disagree still agree on who holds a lease.
  const dbNow = async (): Promise<number> => {
    const rows = await prisma.$queryRaw<
      Array<{ ms: number }>
    >`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms`;
    return Math.floor(Number(rows[0]?.ms));
  };
  return Object.assign(new PrismaStore('postgresql', db, async () => {}, dbNow), { migrated });
}
