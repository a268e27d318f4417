import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../src/store/open-sqlite.js';
import { defineStoreSuite, type Backend } from './helpers/store-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'lw-store-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const backend: Backend = {
  async fresh() {
    n += 1;
    const path = join(dir, `db-${n}.sqlite`);
    const open = () => openSqliteStore({ path, busyTimeoutMs: 2000 });
    return {
      store: await open(),
      reopen: open,
      async exec(sql) {
        const db = new Database(path);
        try {
          db.exec(sql);
        } finally {
          db.close();
        }
      },
    };
  },
};

defineStoreSuite('sqlite', () => backend);
