/**
 * Rollouts with an external broker (throw-away Mosquitto) and MQTT 5 shared-subscription ingest: the engine uses
 * its own client, so its plain subscriptions do not hand ingest a second copy of every score — and the rollout
 * completes over the external broker like over the embedded one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MOSQUITTO, MOSQUITTO_SKIP, startMosquitto } from './helpers/mosquitto.js';
import { rolloutFixture, untilRollout } from './helpers/rollout-fixture.js';

test(
  'external broker with a shared group: rollout completes, scores are counted once',
  { skip: MOSQUITTO ? false : MOSQUITTO_SKIP, timeout: 60_000 },
  async () => {
    const mosq = (await startMosquitto())!;
    try {
      const f = await rolloutFixture({
        agents: 3,
        flagRate: () => 0.05,
        mqttUrl: mosq.url,
        build: { overrides: { mqtt: { enabled: true, mode: 'external', url: mosq.url, sharedGroup: 'ctl' } } },
      });
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
        await untilRollout(f, id, (x) => x.rollout.state === 'completed', 30_000, 'completion over Mosquitto');
        assert.ok(f.agents.every((a) => a.version === 'v2'));
        await f.app.ingest!.flushScores();
        for (const a of f.agents) {
          const rows = await f.app.ctx.store.scores.list(a.id, new Date(0), new Date(Date.now() + 60_000));
          const counted = rows.reduce((s, r) => s + r.count, 0);
          assert.ok(counted > 0 && counted <= a.framesSent, `${a.id}: ${counted} scores counted, ${a.framesSent} sent`);
        }
      } finally {
        await f.close();
      }
    } finally {
      await mosq.stop();
    }
  },
);
