import type { Config } from '../config.js';
import { isAbsolute, join } from 'node:path';
import type { Store } from './store.js';
import { openSqliteStore } from './open-sqlite.js';
import { openPostgresStore } from './open-postgres.js';

export type { Store } from './store.js';

/** Opens the store the config names, applying migrations first (refuses to open a drifted schema). */
export async function openStore(cfg: Pick<Config, 'db' | 'dataDir'>): Promise<Store> {
  if (cfg.db.provider === 'postgresql') return openPostgresStore({ url: cfg.db.url });
  const path = cfg.db.url === ':memory:' || isAbsolute(cfg.db.url) ? cfg.db.url : join(cfg.dataDir, cfg.db.url);
  return openSqliteStore({ path, busyTimeoutMs: cfg.db.busyTimeoutMs });
}
