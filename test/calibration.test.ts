/**
 * Per-camera calibration end to end (issue #20), every piece real: controller `build()` with its embedded broker →
 * a device provisioned through the admin API → the agent `build()` with a signed tiny model (score = |grey/127.5 − 1|)
 * and a camera cycling 20 known grey levels, so every frame's score is known. Running at the model's own threshold
 * the camera flags every frame; its score sketches reach the controller; the proposal for a 10 % false-alarm rate
 * sits at the 90th percentile of the known scores; approving publishes revision 1, which the agent applies (its
 * windows then flag ~10 %); a second revision and a return to the first reach the agent the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build as buildAgent, parseConfig, type Agent } from '@linewatch/agent';
import type { App } from '@linewatch/controller';
import { GreyCamera, LEVELS, scoreOf, startGreyLine } from './grey-line.js';
import { waitFor } from './helpers.js';

const SITE = 'plant-cal';
const LINE = 'line-cal';
const DEVICE = 'edge-cal';
const CAMERA = 'cam-1';
interface Revision {
  revision: number;
  threshold: number;
  restoredFrom: number | null;
}

test(
  'scores → sketches → proposal → approved revision applied by the agent → return to it',
  { timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-e2e-cal-'));
    let app: App | undefined;
    let agent: Agent | undefined;
    try {
      const line = await startGreyLine(dir, { id: DEVICE, name: 'calibration edge', site: SITE, line: LINE });
      app = line.app;
      const { app: ctrl, headers, credentials, registryVersion } = line;

      agent = await buildAgent({
        config: parseConfig({
          site: SITE,
          line: LINE,
          device: DEVICE,
          broker: { url: `mqtt://127.0.0.1:${ctrl.broker!.port}`, ...credentials, reconnectMs: 200 },
          // No configured threshold: the model's own (0.01) flags every frame until the camera is calibrated.
          cameras: [{ id: CAMERA, source: { kind: 'synthetic', width: 32, height: 32, fps: 20 } }],
          inference: { executionProviders: ['cpu'], intraOpThreads: 1, warmUpRuns: 1 },
          model: { trustedKeyPath: join(dir, 'trusted.pem'), initialPackage: join(dir, 'model.tar') },
          dataDir: join(dir, 'agent'),
          sketchIntervalS: 0.5,
          normalSampleIntervalS: 0,
          logLevel: 'silent',
        }),
        sourceFactory: (cam) => new GreyCamera(cam.id),
      });
      const edge = agent;
      assert.equal(edge.pipeline.model.version, registryVersion);
      edge.start();

      const url = `/api/calibration/${DEVICE}/${CAMERA}`;
      interface Proposal {
        proposedThreshold: number;
        expectedFlagRate: number;
        currentFlagRate: number;
        currentThreshold: number;
        normalFrames: number;
        modelVersion: string;
      }
      const proposal = await waitFor(
        'a proposal for 10 % false alarms (100 normal frames)',
        async () => {
          const res = await ctrl.inject({ method: 'GET', url: `${url}/proposal?targetFar=0.1`, headers });
          return res.statusCode === 200 ? res.json<Proposal>() : undefined;
        },
        30_000,
        200,
      );
      const scores = LEVELS.map(scoreOf).sort((a, b) => a - b);
      // At most 10 % of the frames above it: the bucket bound of the 18th level, or of the 19th when the frames counted
      // so far hold more than 10 % of the top two levels (the cycle's phase).
      const t = proposal.proposedThreshold;
      assert.ok(t >= scores[17]! && t <= scores[18]! * 1.0201, `${t} vs the 18th/19th of ${scores.join(', ')}`);
      assert.ok(proposal.expectedFlagRate >= 0.04 && proposal.expectedFlagRate <= 0.1, `${proposal.expectedFlagRate}`);
      assert.equal(proposal.currentThreshold, 0.01);
      assert.equal(proposal.currentFlagRate, 1, 'the model threshold flags every frame');
      assert.equal(proposal.modelVersion, registryVersion);

      const approve = async (threshold: number, reason: string): Promise<Revision> => {
        const res = await ctrl.inject({
          method: 'POST',
          url: `${url}/thresholds`,
          headers,
          payload: { threshold, modelVersion: registryVersion, reason, targetFar: 0.1 },
        });
        assert.equal(res.statusCode, 201, res.body);
        return res.json<Revision>();
      };
      const applied = (t: number) =>
        waitFor(`the agent judges by ${t}`, () => (edge.pipeline.threshold(CAMERA) === t ? true : undefined), 10_000);

      const r1 = await approve(proposal.proposedThreshold, 'first calibration');
      assert.equal(r1.revision, 1);
      await applied(proposal.proposedThreshold);
      // The agent's windows judged by the new threshold flag ~10 % (2 of every 20 frames).
      const cam = edge.pipeline.cameras.get(CAMERA)!;
      const before = { scored: cam.scored, flagged: cam.flagged };
      await waitFor(
        '80 frames at the new threshold',
        () => (cam.scored - before.scored >= 80 ? true : undefined),
        20_000,
      );
      const rate = (cam.flagged - before.flagged) / (cam.scored - before.scored);
      assert.ok(rate > 0.03 && rate < 0.2, `flag rate ${rate} after calibration`);

      const r2 = await approve(0.5, 'trial');
      assert.equal(r2.revision, 2);
      await applied(0.5);
      const back = await ctrl.inject({
        method: 'POST',
        url: `${url}/thresholds/1/restore`,
        headers,
        payload: { reason: 'trial over' },
      });
      assert.equal(back.statusCode, 201, back.body);
      assert.deepEqual(back.json<Revision>(), { ...back.json<Revision>(), revision: 3, restoredFrom: 1 });
      await applied(proposal.proposedThreshold);
    } finally {
      await agent?.stop().catch((e: unknown) => console.error('agent stop failed', e));
      await app?.close().catch((e: unknown) => console.error('controller close failed', e));
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
