/**
 * The registry and a staged rollout on PostgreSQL (throw-away cluster): the same engine and store code as on
 * SQLite — autoincrement decision ids, grouped target counts, the baseline aggregate — against the other provider.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openPostgresStore } from '../src/store/open-postgres.js';
import { PG_SKIP_REASON, findPgBin, startPgCluster, type PgCluster } from './helpers/pg-cluster.js';
import { rolloutFixture, untilRollout } from './helpers/rollout-fixture.js';

const available = findPgBin() !== null;
let cluster: PgCluster | null = null;
before(async () => {
  if (available) cluster = await startPgCluster();
});
after(async () => {
  await cluster?.stop();
});

test(
  'postgresql: a staged rollout completes with its decision log',
  { skip: available ? false : PG_SKIP_REASON, timeout: 150_000 },
  async () => {
    const store = await openPostgresStore({ url: await cluster!.createDatabase('rollouts') });
    try {
      const f = await rolloutFixture({ agents: 3, flagRate: () => 0.05, build: { store } });
      try {
        await f.addCandidate('v2', 2, {});
        await new Promise((r) => setTimeout(r, 1500));
        const res = await f.app.inject({
          method: 'POST',
          url: '/api/models/v2/approve',
          headers: f.admin.headers,
          payload: {
            policy: {
              canaryDevices: 1,
              wavePercent: 100,
              observeS: 0.3,
              minFrames: 30,
              minWaveIntervalS: 0,
              minBaselineFrames: 50,
              healthGraceS: 0.6,
            },
          },
        });
        assert.equal(res.statusCode, 200, res.body);
        const id = (res.json() as { rolloutId: string }).rolloutId;
        const r = await untilRollout(f, id, (x) => x.rollout.state === 'completed', 90_000, 'completion on postgresql');
        assert.deepEqual(r.rollout.counts, { live: 3 });
        assert.deepEqual(
          r.decisions.map((d) => d.id),
          [...r.decisions.map((d) => d.id)].sort((a, b) => a - b),
        );
        assert.equal(r.decisions[0]!.action, 'created');
        assert.ok((r.baseline as { frames: number }).frames > 0);
        assert.equal((await f.app.registry.get('v2'))?.status, 'deployed');
      } finally {
        await f.close();
      }
    } finally {
      await store.close();
    }
  },
);
