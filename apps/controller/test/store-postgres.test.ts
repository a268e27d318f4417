import { after, before } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../src/store/open-postgres.js';
import { PG_SKIP_REASON, findPgBin, startPgCluster, type PgCluster } from './helpers/pg-cluster.js';
import { defineStoreSuite, type Backend } from './helpers/store-suite.js';

const available = findPgBin() !== null;
let cluster: PgCluster | null = null;
let n = 0;

before(async () => {
  if (available) cluster = await startPgCluster();
});
after(async () => {
  await cluster?.stop();
});

const backend: Backend = {
  async fresh() {
    n += 1;
    const url = await cluster!.createDatabase(`conf_${n}`);
    const open = () => openPostgresStore({ url });
    return {
      store: await open(),
      reopen: open,
      async exec(sql) {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          await c.query(sql);
        } finally {
          await c.end();
        }
      },
    };
  },
};

defineStoreSuite('postgresql', () => backend, available ? false : PG_SKIP_REASON);
